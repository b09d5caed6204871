//! Connection managers: the RDMA CM identifier that resource tracking
//! reports (`struct rdma_cm_id`) and the iWARP CM's identifier and
//! connection parameters (`struct iw_cm_id`, `struct iw_cm_conn_param`).

use std::net::SocketAddr;

/// The port space of an RDMA CM identifier (`enum rdma_ucm_port_space`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum PortSpace {
    /// Reliable connected, TCP-like (`RDMA_PS_TCP`).
    #[default]
    Tcp,
    /// Datagrams, UDP-like (`RDMA_PS_UDP`).
    Udp,
    /// IP over IB (`RDMA_PS_IPOIB`).
    Ipoib,
    /// InfiniBand native (`RDMA_PS_IB`).
    Ib,
}

/// An RDMA CM identifier as resource tracking sees it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CmId {
    /// The port it is bound to (0: none yet).
    pub port_num: u8,
    /// The QP it drives, once one is attached.
    pub qp_num: Option<u32>,
    /// Its port space.
    pub port_space: PortSpace,
    /// Local and remote addresses, once bound and resolved.
    pub src_addr: Option<SocketAddr>,
    /// The peer's address.
    pub dst_addr: Option<SocketAddr>,
}

/// An iWARP CM identifier: one listening or connecting endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IwCmId {
    /// The local address.
    pub local_addr: SocketAddr,
    /// The peer's address (unset for a listener).
    pub remote_addr: Option<SocketAddr>,
    /// The QP the connection drives, once there is one.
    pub qp_num: Option<u32>,
}

/// Parameters of an iWARP connect or accept (`struct iw_cm_conn_param`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct IwConnParam {
    /// Private data carried by the MPA request or reply.
    pub private_data: Vec<u8>,
    /// Outbound RDMA READs the QP may have outstanding.
    pub ord: u32,
    /// Inbound RDMA READs it accepts.
    pub ird: u32,
    /// The QP of the connection.
    pub qpn: u32,
}
