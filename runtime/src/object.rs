//! Verbs objects: each holds its device, the core's data about it (parents,
//! creation attributes) and the provider's private state.
//!
//! Users hold objects through `Arc` handles (`Arc<Qp>`); a child keeps its
//! parents alive through theirs (a QP holds its PD and CQs), so a parent
//! cannot go away under a child. When the last handle goes, the object's
//! destroy op runs (`destroy_qp`, `dereg_mr`, ...): nothing leaks.
//! [`Object::destroy`] destroys explicitly and refuses an object that is
//! still in use.

use core::any::Any;
use core::fmt;
use std::sync::Arc;

use crate::device::Device;
use crate::error::{Error, Result};
use crate::ops::{IbDeviceOps, ObjSize};
use crate::private::Private;
use crate::verbs::{
    AccessFlags, AhAttr, CqInfo, CqInitAttr, DmAllocAttr, DmahAttr, FlowAttr, MrKeys, MwInfo,
    MwType, QpInfo, QpInitAttr, RdmaCounterData, RwqIndTableInitAttr, SrqAttr, UserMemory,
    WqInitAttr,
};

/// A kind of verbs object: its name, the core's data about it and its
/// destroy op.
pub trait ObjectKind: Sized + 'static {
    /// Short name used in messages (`"qp"`).
    const NAME: &'static str;
    /// What the core records about an object of this kind (parents, creation
    /// attributes, provider-reported facts).
    type Data: Send + Sync + 'static;
    /// Calls the provider's destroy op for `object` through dispatch.
    ///
    /// # Errors
    /// Whatever the provider's op returns; `NotSupported` when it has none.
    fn destroy(object: &Object<Self>) -> Result<()>;

    /// The provider's declared state type for objects of this kind (the
    /// table's object size, `size_ib_qp` for QPs), if the kind has one and
    /// the provider declared it.
    fn declared_size(ops: &IbDeviceOps) -> Option<ObjSize> {
        let _ = ops;
        None
    }
}

/// One verbs object of kind `K`.
pub struct Object<K: ObjectKind> {
    device: Device,
    data: K::Data,
    private: Private,
    /// The provider's number for the object, if it gave one.
    num: Option<u32>,
    /// Set once the destroy op has run, so dropping does not run it again.
    destroyed: bool,
}

impl<K: ObjectKind> Object<K> {
    /// A new object of `device` with the core's `data` and the provider's
    /// `private` state, behind its first handle.
    ///
    /// # Errors
    /// [`Error::WrongPrivate`] when the device's ops declare a state type
    /// for this kind of object (its object size) and `private` is not one;
    /// the provider's destroy op then runs on the object, as for any
    /// object that goes away.
    pub fn new(device: Device, data: K::Data, private: Private) -> Result<Arc<Self>> {
        Object::numbered(device, data, private, None)
    }

    /// As [`new`](Self::new), with the provider's number for the object
    /// ([`Created::num`](crate::Created::num)).
    ///
    /// # Errors
    /// As `new`.
    pub fn numbered(
        device: Device,
        data: K::Data,
        private: Private,
        num: Option<u32>,
    ) -> Result<Arc<Self>> {
        let declared = K::declared_size(device.ops());
        let object = Arc::new(Object {
            device,
            data,
            private,
            num,
            destroyed: false,
        });
        match declared {
            Some(size) if !size.describes(&object.private) => Err(Error::WrongPrivate {
                object: K::NAME,
                expected: size.type_name(),
                found: object.private.type_name(),
                declared_by: size.declared_by(),
            }),
            _ => Ok(object),
        }
    }

    /// The device the object belongs to.
    #[inline]
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The provider's number for the object (a CQ's or SRQ's number), which
    /// its [`AsyncEvent`](crate::AsyncEvent)s name; `None` when the
    /// provider gave none.
    pub fn num(&self) -> Option<u32> {
        self.num
    }

    /// What the core records about the object.
    #[inline]
    pub fn data(&self) -> &K::Data {
        &self.data
    }

    /// The provider's state, checked to be a `T`.
    ///
    /// # Errors
    /// [`Error::WrongPrivate`] when the state is of another type.
    #[inline]
    pub fn private<T: Any>(&self) -> Result<&T> {
        self.private.get(K::NAME)
    }

    /// Destroys the object now, through the provider's destroy op.
    ///
    /// The handle is consumed either way; when other handles exist (the
    /// user's clones, or children such as a QP holding its CQ), the object
    /// is in use: nothing is destroyed and it lives on in those handles.
    ///
    /// # Errors
    /// [`Error::Busy`] when the object is still in use; the provider's error
    /// when its destroy op fails.
    pub fn destroy(self: Arc<Self>) -> Result<()> {
        let Some(mut object) = Arc::into_inner(self) else {
            return Err(Error::Busy(K::NAME));
        };
        object.destroyed = true;
        K::destroy(&object)
    }
}

/// Dropping the last handle runs the destroy op (its error, if any, has
/// nowhere to go and is ignored, as the kernel's cleanup paths do).
impl<K: ObjectKind> Drop for Object<K> {
    fn drop(&mut self) {
        if !self.destroyed {
            self.destroyed = true;
            let _ = K::destroy(self);
        }
    }
}

/// Objects are equal when they are the same object.
impl<K: ObjectKind> PartialEq for Object<K> {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self, other)
    }
}

impl<K: ObjectKind> Eq for Object<K> {}

impl<K: ObjectKind> fmt::Debug for Object<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{:p} ({}, {:?})",
            K::NAME,
            self,
            self.device.name(),
            self.private
        )
    }
}

/// Core data of an address handle.
#[derive(Debug)]
pub struct AhData {
    /// Protection domain.
    pub pd: Arc<Pd>,
    /// Address vector at creation.
    pub attr: AhAttr,
}

/// Core data of a shared receive queue.
#[derive(Debug)]
pub struct SrqData {
    /// Protection domain.
    pub pd: Arc<Pd>,
    /// Actual limits.
    pub attr: SrqAttr,
}

/// Core data of a queue pair.
#[derive(Debug)]
pub struct QpData {
    /// Protection domain.
    pub pd: Arc<Pd>,
    /// Creation attributes (the CQs and SRQ it uses).
    pub init: QpInitAttr,
    /// Number and actual capabilities.
    pub info: QpInfo,
}

/// Core data of a completion queue.
#[derive(Debug)]
pub struct CqData {
    /// Creation attributes.
    pub attr: CqInitAttr,
    /// Actual size at creation.
    pub info: CqInfo,
}

/// Core data of a memory region.
#[derive(Debug)]
pub struct MrData {
    /// Protection domain.
    pub pd: Arc<Pd>,
    /// Keys.
    pub keys: MrKeys,
    /// Access rights.
    pub access: AccessFlags,
    /// The registered memory (`None` for DMA and fast-registration regions).
    pub memory: Option<UserMemory>,
    /// The address the region starts at in SGEs and remote addresses.
    pub iova: u64,
}

/// Core data of a memory window.
#[derive(Debug)]
pub struct MwData {
    /// Protection domain.
    pub pd: Arc<Pd>,
    /// Type.
    pub mw_type: MwType,
    /// Remote key.
    pub info: MwInfo,
}

/// Core data of a steering rule.
#[derive(Debug)]
pub struct FlowData {
    /// Queue pair that receives matching packets.
    pub qp: Arc<Qp>,
    /// The rule.
    pub attr: FlowAttr,
}

/// Core data of a work queue.
#[derive(Debug)]
pub struct WqData {
    /// Protection domain.
    pub pd: Arc<Pd>,
    /// Creation attributes.
    pub init: WqInitAttr,
}

/// Core data of an object that records nothing beyond its device.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoData;

macro_rules! object_kinds {
    ($($(#[$doc:meta])* $alias:ident = $kind:ident($name:literal, $data:ty, $destroy:ident $(, $size:ident)?);)*) => {$(
        #[doc = concat!("The kind of [`", stringify!($alias), "`] objects.")]
        #[derive(Debug)]
        pub enum $kind {}
        impl ObjectKind for $kind {
            const NAME: &'static str = $name;
            type Data = $data;
            fn destroy(object: &Object<Self>) -> Result<()> {
                object.device().ops().$destroy(object)
            }
            $(fn declared_size(ops: &IbDeviceOps) -> Option<ObjSize> {
                ops.$size
            })?
        }
        $(#[$doc])*
        pub type $alias = Object<$kind>;
    )*};
}

object_kinds! {
    /// A user-space context (`struct ib_ucontext`).
    Ucontext = UcontextKind("ucontext", NoData, dealloc_ucontext, size_ib_ucontext);
    /// A protection domain (`struct ib_pd`).
    Pd = PdKind("pd", NoData, dealloc_pd, size_ib_pd);
    /// An address handle (`struct ib_ah`).
    Ah = AhKind("ah", AhData, destroy_ah, size_ib_ah);
    /// A shared receive queue (`struct ib_srq`).
    Srq = SrqKind("srq", SrqData, destroy_srq, size_ib_srq);
    /// A queue pair (`struct ib_qp`).
    Qp = QpKind("qp", QpData, destroy_qp, size_ib_qp);
    /// A completion queue (`struct ib_cq`).
    Cq = CqKind("cq", CqData, destroy_cq, size_ib_cq);
    /// A memory region (`struct ib_mr`).
    Mr = MrKind("mr", MrData, dereg_mr);
    /// A memory window (`struct ib_mw`).
    Mw = MwKind("mw", MwData, dealloc_mw, size_ib_mw);
    /// An XRC domain (`struct ib_xrcd`).
    Xrcd = XrcdKind("xrcd", NoData, dealloc_xrcd, size_ib_xrcd);
    /// A steering rule (`struct ib_flow`).
    Flow = FlowKind("flow", FlowData, destroy_flow);
    /// A flow action (`struct ib_flow_action`).
    FlowAction = FlowActionKind("flow_action", NoData, destroy_flow_action);
    /// A receive work queue (`struct ib_wq`).
    Wq = WqKind("wq", WqData, destroy_wq);
    /// An RSS indirection table (`struct ib_rwq_ind_table`).
    RwqIndTable = RwqIndTableKind("rwq_ind_table", RwqIndTableInitAttr, destroy_rwq_ind_table, size_ib_rwq_ind_table);
    /// Device memory (`struct ib_dm`).
    Dm = DmKind("dm", DmAllocAttr, dealloc_dm);
    /// A DMA handle (`struct ib_dmah`): steering hints for the device's writes.
    Dmah = DmahKind("dmah", DmahAttr, dealloc_dmah, size_ib_dmah);
    /// A counters object (`struct ib_counters`).
    Counters = CountersKind("counters", NoData, destroy_counters, size_ib_counters);
    /// A dynamic QP counter (`struct rdma_counter`).
    RdmaCounter = RdmaCounterKind("rdma_counter", RdmaCounterData, counter_dealloc, size_rdma_counter);
}
