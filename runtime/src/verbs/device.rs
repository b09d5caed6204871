//! Device identity, attributes and limits.

use bitflags::bitflags;

/// Which driver provides an ops table (the kernel's `enum rdma_driver_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum DriverId {
    /// Not set.
    #[default]
    Unknown,
    /// The in-process software device `ibops_soft`.
    Soft,
    /// Mellanox ConnectX-4 and later.
    Mlx5,
    /// Software RoCE (rxe).
    Rxe,
    /// Software iWARP (siw).
    Siw,
    /// Another driver, by number.
    Other(u32),
}

/// The module that provides an ops table (the kernel's `struct module *owner`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Owner(Option<&'static str>);

impl Owner {
    /// No owner.
    pub const NONE: Owner = Owner(None);

    /// The module called `name`, e.g. `Owner::new(env!("CARGO_PKG_NAME"))`.
    pub const fn new(name: &'static str) -> Owner {
        Owner(Some(name))
    }

    /// The owner's name, if set.
    pub const fn name(self) -> Option<&'static str> {
        self.0
    }
}

bitflags! {
    /// Device capabilities (`IB_DEVICE_*`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct DeviceCapFlags: u64 {
        /// A QP's or SRQ's work-request limit can be resized.
        const RESIZE_MAX_WR = 1 << 0;
        /// Bad P_Key counting is supported.
        const BAD_PKEY_CNTR = 1 << 1;
        /// Bad Q_Key counting is supported.
        const BAD_QKEY_CNTR = 1 << 2;
        /// Raw multicast is supported.
        const RAW_MULTI = 1 << 3;
        /// Automatic path migration is supported.
        const AUTO_PATH_MIG = 1 << 4;
        /// The port of a QP can be changed.
        const CHANGE_PHY_PORT = 1 << 5;
        /// UD address vectors are checked against the QP's port.
        const UD_AV_PORT_ENFORCE = 1 << 6;
        /// `modify_qp` honours the current-state attribute.
        const CURR_QP_STATE_MOD = 1 << 7;
        /// A port can be shut down.
        const SHUTDOWN_PORT = 1 << 8;
        /// InitType and InitTypeReply are supported.
        const INIT_TYPE = 1 << 9;
        /// The port active event is generated.
        const PORT_ACTIVE_EVENT = 1 << 10;
        /// The system image GUID is supported.
        const SYS_IMAGE_GUID = 1 << 11;
        /// RC QPs generate RNR NAKs.
        const RC_RNR_NAK_GEN = 1 << 12;
        /// SRQs can be resized.
        const SRQ_RESIZE = 1 << 13;
        /// CQs notify after N completions.
        const N_NOTIFY_CQ = 1 << 14;
        /// Memory windows are supported.
        const MEM_WINDOW = 1 << 17;
        /// UD checksum offload.
        const UD_IP_CSUM = 1 << 18;
        /// XRC is supported.
        const XRC = 1 << 20;
        /// Memory management extensions (fast registration, local invalidate).
        const MEM_MGT_EXTENSIONS = 1 << 21;
        /// Type 2A memory windows.
        const MEM_WINDOW_TYPE_2A = 1 << 23;
        /// Type 2B memory windows.
        const MEM_WINDOW_TYPE_2B = 1 << 24;
        /// RC checksum offload.
        const RC_IP_CSUM = 1 << 25;
        /// Raw packet checksum offload.
        const RAW_IP_CSUM = 1 << 26;
        /// Flow steering.
        const MANAGED_FLOW_STEERING = 1 << 29;
    }
}

/// How atomic operations are guaranteed (`enum ib_atomic_cap`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AtomicCap {
    /// No atomic operations.
    #[default]
    None,
    /// Atomic with respect to this device only.
    Hca,
    /// Atomic with respect to the CPUs and other devices too.
    Glob,
}

/// Device attributes and limits, as `query_device` returns them (`struct ib_device_attr`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DeviceAttr {
    /// Firmware version.
    pub fw_ver: u64,
    /// System image GUID.
    pub sys_image_guid: u64,
    /// How atomic operations are guaranteed (`enum ib_atomic_cap`).
    pub atomic_cap: AtomicCap,
    /// Largest registrable memory region, in bytes.
    pub max_mr_size: u64,
    /// Page sizes the device supports (bit `n` set: `2^n` bytes).
    pub page_size_cap: u64,
    /// Vendor id.
    pub vendor_id: u32,
    /// Vendor part id.
    pub vendor_part_id: u32,
    /// Hardware version.
    pub hw_ver: u32,
    /// Most queue pairs.
    pub max_qp: u32,
    /// Most outstanding work requests on one queue.
    pub max_qp_wr: u32,
    /// Capability flags.
    pub device_cap_flags: DeviceCapFlags,
    /// Most scatter/gather entries per send work request.
    pub max_send_sge: u32,
    /// Most scatter/gather entries per receive work request.
    pub max_recv_sge: u32,
    /// Most completion queues.
    pub max_cq: u32,
    /// Most entries of one completion queue.
    pub max_cqe: u32,
    /// Most memory regions.
    pub max_mr: u32,
    /// Most protection domains.
    pub max_pd: u32,
    /// Most outstanding RDMA READ/atomic requests a QP accepts as responder.
    pub max_qp_rd_atom: u32,
    /// Most outstanding RDMA READ/atomic requests a QP issues as requester.
    pub max_qp_init_rd_atom: u32,
    /// Most memory windows.
    pub max_mw: u32,
    /// Most address handles.
    pub max_ah: u32,
    /// Most shared receive queues.
    pub max_srq: u32,
    /// Most outstanding work requests on one SRQ.
    pub max_srq_wr: u32,
    /// Most scatter/gather entries per SRQ work request.
    pub max_srq_sge: u32,
    /// Most partition keys.
    pub max_pkeys: u16,
    /// Local CA ACK delay.
    pub local_ca_ack_delay: u8,
    /// Number of physical ports.
    pub phys_port_cnt: u8,
}

bitflags! {
    /// Which fields of [`DeviceModify`] to apply (`IB_DEVICE_MODIFY_*`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct DeviceModifyMask: u32 {
        /// Set the system image GUID.
        const SYS_IMAGE_GUID = 1 << 0;
        /// Set the node description.
        const NODE_DESC = 1 << 1;
    }
}

/// New device attributes for `modify_device` (`struct ib_device_modify`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DeviceModify {
    /// New system image GUID.
    pub sys_image_guid: u64,
    /// New node description (at most 64 bytes).
    pub node_desc: String,
}

/// A set of CPUs (the kernel's `struct cpumask`), one bit per CPU.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct CpuMask {
    bits: Vec<u64>,
}

impl CpuMask {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `cpu`.
    pub fn set(&mut self, cpu: usize) {
        let word = cpu / 64;
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        self.bits[word] |= 1 << (cpu % 64);
    }

    /// Whether `cpu` is in the set.
    pub fn contains(&self, cpu: usize) -> bool {
        self.bits
            .get(cpu / 64)
            .is_some_and(|w| w & (1 << (cpu % 64)) != 0)
    }

    /// The CPUs in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.bits.iter().enumerate().flat_map(|(i, &w)| {
            (0..64)
                .filter(move |b| w & (1 << b) != 0)
                .map(move |b| i * 64 + b)
        })
    }
}

/// The kind of a sub-device a parent device adds (`enum rdma_nl_dev_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubDeviceType {
    /// A device that carries only the subnet management interface (SMI).
    Smi,
}
