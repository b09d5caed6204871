//! The verbs data types that op signatures name: attributes, work requests,
//! completions and the small value types around them.
//!
//! Each file holds one concept: [`device`] (device attributes and identity),
//! [`connect`] (what two ends of an RC connection exchange),
//! [`port`], [`gid`], [`ah`] (address handles and routing), [`qp`], [`wr`]
//! (work requests), [`wc`] (work completions), [`cq`], [`srq`], [`mr`]
//! (memory regions and windows), [`flow`], [`wq`], [`dm`] (device memory),
//! [`counters`] (counters and hardware statistics), [`vf`], [`netdev`],
//! [`mad`], [`uverbs`] (user-space plumbing and mmap entries),
//! [`sysfs`] (attribute groups), [`restrack`] (resource-tracking entries)
//! and [`cm`] (connection-manager identifiers).

pub mod ah;
pub mod cm;
pub mod connect;
pub mod counters;
pub mod cq;
pub mod device;
pub mod dm;
pub mod flow;
pub mod gid;
pub mod mad;
pub mod mr;
pub mod netdev;
pub mod port;
pub mod qp;
pub mod restrack;
pub mod srq;
pub mod sysfs;
pub mod uverbs;
pub mod vf;
pub mod wc;
pub mod wq;
pub mod wr;

pub use ah::{AhAttr, GlobalRoute};
pub use cm::{CmId, IwCmId, IwConnParam, PortSpace};
pub use connect::{RcEndpoint, RcPath};
pub use counters::{CounterMode, CountersReadAttr, HwStats, RdmaCounterData};
pub use cq::{CompletionChannel, CqInfo, CqInitAttr, CqNotifyFlags};
pub use device::{
    AtomicCap, CpuMask, DeviceAttr, DeviceCapFlags, DeviceModify, DeviceModifyMask, DriverId,
    Owner, SubDeviceType,
};
pub use dm::{DmAllocAttr, DmMrAttr, DmahAttr};
pub use flow::{FlowAttr, FlowSpec};
pub use gid::{Gid, GidAttr, GidType};
pub use mad::{Grh, Mad, MadFlags, MadResponse};
pub use mr::{
    AccessFlags, AdviseFlags, DmabufFd, MrAdvice, MrCheckMask, MrKeys, MrStatus, MrType, MwInfo,
    MwType, ReregFlags, ScatterEntry, UserMemory,
};
pub use netdev::{NetDev, NetdevEvent, RdmaNetdevAllocParams, RdmaNetdevType};
pub use port::{
    LinkLayer, Mtu, PortAttr, PortCapFlags, PortImmutable, PortModify, PortModifyMask, PortState,
};
pub use qp::{QpAttr, QpAttrMask, QpCap, QpInfo, QpInitAttr, QpQuery, QpState, QpType};
pub use restrack::{ResMessage, ResValue};
pub use srq::{SrqAttr, SrqAttrMask, SrqInitAttr};
pub use sysfs::{Attribute, AttributeGroup};
pub use uverbs::{
    AttrBundle, MmapEntry, MmapPfns, P2pProvider, PhysRange, Udata, UverbsFile, VmArea,
};
pub use vf::{VfGuidType, VfGuids, VfInfo, VfLinkState, VfStats};
pub use wc::{WcFlags, WcOpcode, WcStatus, WorkCompletion};
pub use wq::{RwqIndTableInitAttr, WqAttr, WqAttrMask, WqInitAttr, WqState, WqType};
pub use wr::{RecvWr, SendFlags, SendWr, Sge, Sges, WrOpcode};
