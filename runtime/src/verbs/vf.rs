//! SR-IOV virtual functions.

/// Administrative link state of a virtual function (`IFLA_VF_LINK_STATE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum VfLinkState {
    /// Follow the physical function's link.
    #[default]
    Auto,
    /// Always up.
    Enable,
    /// Always down.
    Disable,
}

/// Configuration of a virtual function (`struct ifla_vf_info`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct VfInfo {
    /// VF index.
    pub vf: u32,
    /// MAC address.
    pub mac: [u8; 6],
    /// VLAN.
    pub vlan: u16,
    /// Link state.
    pub linkstate: VfLinkState,
    /// Whether MAC spoof checking is on.
    pub spoofchk: bool,
    /// Whether the VF is trusted.
    pub trusted: bool,
}

/// Traffic counters of a virtual function (`struct ifla_vf_stats`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct VfStats {
    /// Packets received.
    pub rx_packets: u64,
    /// Packets sent.
    pub tx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Broadcast packets received.
    pub broadcast: u64,
    /// Multicast packets received.
    pub multicast: u64,
}

/// Which GUID `set_vf_guid` sets (`IFLA_VF_IB_NODE_GUID` / `IFLA_VF_IB_PORT_GUID`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VfGuidType {
    /// The node GUID.
    Node,
    /// The port GUID.
    Port,
}

/// The GUIDs of a virtual function (the two `struct ifla_vf_guid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct VfGuids {
    /// The node GUID.
    pub node_guid: u64,
    /// The port GUID.
    pub port_guid: u64,
}
