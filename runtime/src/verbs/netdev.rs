//! Network devices tied to RDMA ports (IPoIB, RoCE).

/// A handle to a network device (`struct net_device *`): its name and index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct NetDev {
    /// Interface name, e.g. `ib0`.
    pub name: String,
    /// Interface index.
    pub ifindex: u32,
    /// Hardware address.
    pub addr: Vec<u8>,
    /// MTU in bytes.
    pub mtu: u32,
}

/// Kind of RDMA netdev (`enum rdma_netdev_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RdmaNetdevType {
    /// Offloaded IP over InfiniBand.
    Opa,
    /// IP over InfiniBand.
    Ipoib,
}

/// What the core needs to allocate an RDMA netdev (`struct rdma_netdev_alloc_params`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RdmaNetdevAllocParams {
    /// Bytes of driver state in the netdev's private area.
    pub sizeof_priv: usize,
    /// Transmit queues.
    pub txqs: u32,
    /// Receive queues.
    pub rxqs: u32,
}

/// A change of a network device that an RDMA port follows (`NETDEV_*`
/// notifier events).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NetdevEvent {
    /// The link came up (`NETDEV_UP`).
    Up,
    /// The link went down (`NETDEV_DOWN`).
    Down,
    /// Its state or carrier changed (`NETDEV_CHANGE`).
    Change,
    /// It was registered (`NETDEV_REGISTER`).
    Register,
    /// It is being unregistered (`NETDEV_UNREGISTER`).
    Unregister,
    /// Its addresses changed (`NETDEV_CHANGEADDR`).
    ChangeAddr,
}
