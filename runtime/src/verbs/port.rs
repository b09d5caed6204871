//! Port attributes, state and the immutable per-port data.

use bitflags::bitflags;

use super::gid::GidType;

/// Logical port state (`enum ib_port_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum PortState {
    /// No state change.
    Nop,
    /// The link is down.
    #[default]
    Down,
    /// The link is up, the subnet manager has not configured it yet.
    Init,
    /// Configured, not yet active.
    Armed,
    /// Active: traffic flows.
    Active,
    /// Active, deferring state changes.
    ActiveDefer,
}

/// Path MTU (`enum ib_mtu`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Mtu {
    /// 256 bytes.
    Mtu256,
    /// 512 bytes.
    Mtu512,
    /// 1024 bytes.
    #[default]
    Mtu1024,
    /// 2048 bytes.
    Mtu2048,
    /// 4096 bytes.
    Mtu4096,
}

impl Mtu {
    /// The MTU in bytes.
    pub const fn bytes(self) -> u32 {
        match self {
            Mtu::Mtu256 => 256,
            Mtu::Mtu512 => 512,
            Mtu::Mtu1024 => 1024,
            Mtu::Mtu2048 => 2048,
            Mtu::Mtu4096 => 4096,
        }
    }
}

/// The link layer of a port (`enum rdma_link_layer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum LinkLayer {
    /// Not specified.
    #[default]
    Unspecified,
    /// InfiniBand.
    Infiniband,
    /// Ethernet (RoCE or iWARP).
    Ethernet,
}

bitflags! {
    /// Port capabilities (`IB_PORT_*_SUP`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct PortCapFlags: u32 {
        /// The port runs a subnet manager.
        const SM = 1 << 1;
        /// Supports the device management class.
        const DEVICE_MGMT_SUP = 1 << 19;
        /// Supports IP-based GIDs (RoCE).
        const IP_BASED_GIDS = 1 << 26;
    }
}

/// Port attributes, as `query_port` returns them (`struct ib_port_attr`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PortAttr {
    /// Logical state.
    pub state: PortState,
    /// Largest MTU the port supports.
    pub max_mtu: Mtu,
    /// Active MTU.
    pub active_mtu: Mtu,
    /// Entries of the GID table.
    pub gid_tbl_len: u32,
    /// Capability flags.
    pub port_cap_flags: PortCapFlags,
    /// Largest message size, in bytes.
    pub max_msg_sz: u32,
    /// Entries of the P_Key table.
    pub pkey_tbl_len: u16,
    /// Base LID.
    pub lid: u16,
    /// LID of the subnet manager.
    pub sm_lid: u16,
    /// LID mask control.
    pub lmc: u8,
    /// Active link width (IBTA encoding).
    pub active_width: u8,
    /// Active link speed (IBTA encoding).
    pub active_speed: u8,
    /// Physical state (IBTA encoding, 5 = LinkUp).
    pub phys_state: u8,
    /// Link layer.
    pub link_layer: LinkLayer,
}

bitflags! {
    /// Which changes `modify_port` applies (`IB_PORT_*` modify flags).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct PortModifyMask: u32 {
        /// Shut the port down.
        const SHUTDOWN = 1 << 0;
        /// Reset the Q_Key violation counter.
        const RESET_QKEY_CNTR = 1 << 2;
    }
}

/// Capability changes for `modify_port` (`struct ib_port_modify`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PortModify {
    /// Capability bits to set.
    pub set_port_cap_mask: PortCapFlags,
    /// Capability bits to clear.
    pub clr_port_cap_mask: PortCapFlags,
}

/// Port data that never changes, read once at registration
/// (`struct ib_port_immutable`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PortImmutable {
    /// Entries of the P_Key table.
    pub pkey_tbl_len: u16,
    /// Entries of the GID table.
    pub gid_tbl_len: u32,
    /// Which GID types the port supports.
    pub gid_type: GidType,
    /// Largest MAD size, in bytes.
    pub max_mad_size: u32,
}
