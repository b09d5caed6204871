//! Address vectors: the path to a remote port.

use super::gid::Gid;

/// Global routing information of an address vector (`struct ib_global_route`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct GlobalRoute {
    /// Destination GID.
    pub dgid: Gid,
    /// Flow label.
    pub flow_label: u32,
    /// Index of the source GID in the local GID table.
    pub sgid_index: u8,
    /// Hop limit.
    pub hop_limit: u8,
    /// Traffic class.
    pub traffic_class: u8,
}

/// An address vector (`struct rdma_ah_attr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct AhAttr {
    /// Global route, when the path crosses subnets or the link layer is Ethernet.
    pub grh: Option<GlobalRoute>,
    /// Destination LID.
    pub dlid: u16,
    /// Service level.
    pub sl: u8,
    /// Source path bits.
    pub src_path_bits: u8,
    /// Static rate (IBTA encoding, 0 = port rate).
    pub static_rate: u8,
    /// Local port.
    pub port_num: u8,
}
