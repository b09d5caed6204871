//! Verbs object handles: cheap clones of an `Arc` that keep their device
//! and parents alive and carry the provider's private state.

use core::any::Any;
use core::fmt;
use std::sync::Arc;

use crate::device::Device;
use crate::error::Result;
use crate::private::Private;
use crate::verbs::{
    AccessFlags, AhAttr, CqInfo, CqInitAttr, DmAllocAttr, FlowAttr, FmrAttr, MrKeys, MwInfo,
    MwType, QpInfo, QpInitAttr, RwqIndTableInitAttr, SrqAttr, WqInitAttr,
};

/// A kind of verbs object: its name and the core's data about it.
pub trait ObjectKind: 'static {
    /// Short name used in messages (`"qp"`).
    const NAME: &'static str;
    /// What the core records about an object of this kind (parents, creation
    /// attributes, provider-reported facts).
    type Data: Send + Sync + 'static;
}

/// A handle to one verbs object of kind `K`.
///
/// Cloning is an `Arc` clone; the object lives while a handle exists, and it
/// keeps its device and parent objects alive.
pub struct Object<K: ObjectKind> {
    inner: Arc<ObjectInner<K>>,
}

struct ObjectInner<K: ObjectKind> {
    device: Device,
    data: K::Data,
    private: Private,
}

impl<K: ObjectKind> Object<K> {
    /// A new object of `device` with the core's `data` and the provider's `private` state.
    pub fn new(device: Device, data: K::Data, private: Private) -> Self {
        Object {
            inner: Arc::new(ObjectInner {
                device,
                data,
                private,
            }),
        }
    }

    /// The device the object belongs to.
    pub fn device(&self) -> &Device {
        &self.inner.device
    }

    /// What the core records about the object.
    pub fn data(&self) -> &K::Data {
        &self.inner.data
    }

    /// The provider's state, checked to be a `T`.
    ///
    /// # Errors
    /// [`Error::WrongPrivate`] when the state is of another type.
    pub fn private<T: Any>(&self) -> Result<&T> {
        self.inner.private.get(K::NAME)
    }

    /// Whether two handles name the same object.
    pub fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// How many handles to this object exist (including this one).
    pub fn handle_count(&self) -> usize {
        Arc::strong_count(&self.inner)
    }
}

impl<K: ObjectKind> Clone for Object<K> {
    fn clone(&self) -> Self {
        Object {
            inner: Arc::clone(&self.inner),
        }
    }
}

/// Handles are equal when they name the same object.
impl<K: ObjectKind> PartialEq for Object<K> {
    fn eq(&self, other: &Self) -> bool {
        self.same(other)
    }
}

impl<K: ObjectKind> Eq for Object<K> {}

impl<K: ObjectKind> fmt::Debug for Object<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{:p} ({}, {:?})",
            K::NAME,
            Arc::as_ptr(&self.inner),
            self.inner.device.name(),
            self.inner.private
        )
    }
}

/// Core data of an address handle.
#[derive(Debug)]
pub struct AhData {
    /// Protection domain.
    pub pd: Pd,
    /// Address vector at creation.
    pub attr: AhAttr,
}

/// Core data of a shared receive queue.
#[derive(Debug)]
pub struct SrqData {
    /// Protection domain.
    pub pd: Pd,
    /// Actual limits.
    pub attr: SrqAttr,
}

/// Core data of a queue pair.
#[derive(Debug)]
pub struct QpData {
    /// Protection domain.
    pub pd: Pd,
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
    pub pd: Pd,
    /// Keys.
    pub keys: MrKeys,
    /// Access rights.
    pub access: AccessFlags,
}

/// Core data of a memory window.
#[derive(Debug)]
pub struct MwData {
    /// Protection domain.
    pub pd: Pd,
    /// Type.
    pub mw_type: MwType,
    /// Remote key.
    pub info: MwInfo,
}

/// Core data of a fast memory region.
#[derive(Debug)]
pub struct FmrData {
    /// Protection domain.
    pub pd: Pd,
    /// Keys.
    pub keys: MrKeys,
    /// Limits.
    pub attr: FmrAttr,
}

/// Core data of a steering rule.
#[derive(Debug)]
pub struct FlowData {
    /// Queue pair that receives matching packets.
    pub qp: Qp,
    /// The rule.
    pub attr: FlowAttr,
}

/// Core data of a work queue.
#[derive(Debug)]
pub struct WqData {
    /// Protection domain.
    pub pd: Pd,
    /// Creation attributes.
    pub init: WqInitAttr,
}

/// Core data of an object that records nothing beyond its device.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoData;

macro_rules! object_kinds {
    ($($(#[$doc:meta])* $alias:ident = $kind:ident($name:literal, $data:ty);)*) => {$(
        #[doc = concat!("The kind of [`", stringify!($alias), "`] handles.")]
        #[derive(Debug)]
        pub enum $kind {}
        impl ObjectKind for $kind {
            const NAME: &'static str = $name;
            type Data = $data;
        }
        $(#[$doc])*
        pub type $alias = Object<$kind>;
    )*};
}

object_kinds! {
    /// A user-space context (`struct ib_ucontext`).
    Ucontext = UcontextKind("ucontext", NoData);
    /// A protection domain (`struct ib_pd`).
    Pd = PdKind("pd", NoData);
    /// An address handle (`struct ib_ah`).
    Ah = AhKind("ah", AhData);
    /// A shared receive queue (`struct ib_srq`).
    Srq = SrqKind("srq", SrqData);
    /// A queue pair (`struct ib_qp`).
    Qp = QpKind("qp", QpData);
    /// A completion queue (`struct ib_cq`).
    Cq = CqKind("cq", CqData);
    /// A memory region (`struct ib_mr`).
    Mr = MrKind("mr", MrData);
    /// A memory window (`struct ib_mw`).
    Mw = MwKind("mw", MwData);
    /// A fast memory region (`struct ib_fmr`).
    Fmr = FmrKind("fmr", FmrData);
    /// An XRC domain (`struct ib_xrcd`).
    Xrcd = XrcdKind("xrcd", NoData);
    /// A steering rule (`struct ib_flow`).
    Flow = FlowKind("flow", FlowData);
    /// A flow action (`struct ib_flow_action`).
    FlowAction = FlowActionKind("flow_action", NoData);
    /// A receive work queue (`struct ib_wq`).
    Wq = WqKind("wq", WqData);
    /// An RSS indirection table (`struct ib_rwq_ind_table`).
    RwqIndTable = RwqIndTableKind("rwq_ind_table", RwqIndTableInitAttr);
    /// Device memory (`struct ib_dm`).
    Dm = DmKind("dm", DmAllocAttr);
    /// A counters object (`struct ib_counters`).
    Counters = CountersKind("counters", NoData);
}
