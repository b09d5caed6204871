//! Flow steering rules and IPsec flow actions.

/// One match specification of a steering rule (`union ib_flow_spec`, the common kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowSpec {
    /// Match Ethernet destination MAC and EtherType.
    Eth {
        /// Destination MAC.
        dst_mac: [u8; 6],
        /// EtherType (0 matches any).
        ether_type: u16,
    },
    /// Match IPv4 source and destination.
    Ipv4 {
        /// Source address.
        src_ip: [u8; 4],
        /// Destination address.
        dst_ip: [u8; 4],
    },
    /// Match a TCP or UDP destination port.
    L4 {
        /// `true` for TCP, `false` for UDP.
        tcp: bool,
        /// Destination port.
        dst_port: u16,
    },
}

/// A steering rule (`struct ib_flow_attr`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FlowAttr {
    /// Priority (lower matches first).
    pub priority: u16,
    /// Port the rule applies to.
    pub port: u8,
    /// Flags (provider specific).
    pub flags: u32,
    /// All must match.
    pub specs: Vec<FlowSpec>,
}
