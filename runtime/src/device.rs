//! Devices: building one from ops tables, registering it (the mandatory-op
//! check), and the frozen ops a registered device dispatches through.

use core::any::Any;
use core::fmt;
use std::sync::{Arc, Weak};

use crate::error::{Error, Result};
use crate::event::{AsyncEvent, EventHandler, EventHandlerId, EventSender};
use crate::ops::{IbDeviceOps, MergeConflict};
use crate::private::Private;
use crate::stats::{OpStat, OpStats};

/// A device being set up: ops tables are merged into it with
/// [`set_ops`](Self::set_ops) (SET_DEVICE_OP semantics), then
/// [`register`](Self::register) checks the mandatory ops and freezes them.
///
/// Ops can change only before registration: `register` consumes the
/// builder, and a registered [`Device`] has no method that changes its ops,
/// so a late `set_ops` is a compile-time error rather than a run-time one
/// (`tests/ui/fail_set_ops_after_register.rs`).
#[derive(Debug)]
pub struct DeviceBuilder {
    name: String,
    ops: IbDeviceOps,
    phys_port_cnt: u8,
    private: Option<Private>,
    events: EventSender,
}

impl DeviceBuilder {
    /// A device called `name` with no ops and one port.
    pub fn new(name: impl Into<String>) -> Self {
        DeviceBuilder {
            name: name.into(),
            ops: IbDeviceOps::EMPTY,
            phys_port_cnt: 1,
            private: None,
            events: EventSender::default(),
        }
    }

    /// Merges `ops` into the device's table.
    ///
    /// # Errors
    /// A member conflict; the device's table is then unchanged.
    pub fn set_ops(&mut self, ops: &IbDeviceOps) -> Result<&mut Self, MergeConflict> {
        self.ops.merge(ops)?;
        Ok(self)
    }

    /// Sets the number of physical ports (ports are numbered from 1).
    pub fn ports(&mut self, count: u8) -> &mut Self {
        self.phys_port_cnt = count;
        self
    }

    /// Attaches the provider's device-wide state.
    pub fn private(&mut self, state: impl Any + Send + Sync) -> &mut Self {
        self.private = Some(Private::new(state));
        self
    }

    /// The sender through which the provider raises asynchronous events
    /// on the device this builder registers (keep it in the device state).
    pub fn event_sender(&self) -> EventSender {
        self.events.clone()
    }

    /// The table merged so far.
    pub fn ops(&self) -> &IbDeviceOps {
        &self.ops
    }

    /// Checks that every mandatory op is present and freezes the ops: the
    /// kernel's `ib_register_device` without the device list. The device
    /// is usable at once, by whoever holds the handle, and is found by no
    /// name: use this for a device the program keeps itself (a test, an
    /// embedded stack). [`register_in`](Self::register_in) also lists it
    /// in a [`Registry`](crate::Registry), where tools find it by name or
    /// index as `ibv_get_device_list` finds devices (`Registry::global()`
    /// is the process-wide list `devinfo` prints; a test can keep a
    /// registry of its own so that its names never meet another test's).
    ///
    /// ```
    /// use ibops::prelude::*;
    /// use ibops_soft::SoftConfig;
    ///
    /// // Listed: found again by name.
    /// let registry = Registry::new();
    /// let listed = SoftConfig::new("listed0").probe_in(&registry)?;
    /// assert_eq!(registry.by_name("listed0").map(|d| d.name().to_owned()), Some(listed.name().to_owned()));
    /// // Not listed: only the handle reaches it.
    /// let private = SoftConfig::new("private0").probe()?;
    /// assert!(registry.by_name(private.name()).is_none());
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::MissingMandatory`] listing every missing op.
    pub fn register(self) -> Result<Device> {
        let missing: Vec<_> = self.ops.missing_mandatory().collect();
        if !missing.is_empty() {
            return Err(Error::MissingMandatory(missing));
        }
        Ok(Device {
            inner: Arc::new(DeviceInner {
                name: self.name,
                ops: self.ops,
                phys_port_cnt: self.phys_port_cnt,
                private: self.private.unwrap_or_else(|| Private::new(NoDeviceState)),
                stats: OpStats::default(),
                events: self.events,
            }),
        })
    }
}

/// The private state of a device whose provider attached none.
#[derive(Debug)]
struct NoDeviceState;

/// A registered device: its frozen ops and the provider's device state.
/// Cloning is an `Arc` clone.
#[derive(Clone)]
pub struct Device {
    inner: Arc<DeviceInner>,
}

struct DeviceInner {
    name: String,
    ops: IbDeviceOps,
    phys_port_cnt: u8,
    private: Private,
    stats: OpStats,
    events: EventSender,
}

impl Device {
    /// The device's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The frozen ops table; its methods dispatch to the provider.
    #[inline]
    pub fn ops(&self) -> &IbDeviceOps {
        &self.inner.ops
    }

    /// The number of physical ports.
    pub fn phys_port_cnt(&self) -> u8 {
        self.inner.phys_port_cnt
    }

    /// The provider's device state, checked to be a `T`.
    ///
    /// # Errors
    /// [`Error::WrongPrivate`] when the state is of another type.
    pub fn private<T: Any>(&self) -> Result<&T> {
        self.inner
            .private
            .downcast_ref()
            .ok_or_else(|| Error::WrongPrivate {
                object: "device",
                expected: core::any::type_name::<T>(),
                found: self.inner.private.type_name(),
                declared_by: None,
            })
    }

    /// How often each op was called on this device, how often it failed
    /// and how long it took, for the ops called at least once. Counted by
    /// the dispatch only when `ibops` is built with the `trace` feature;
    /// empty otherwise.
    pub fn op_stats(&self) -> Vec<OpStat> {
        self.inner.stats.snapshot()
    }

    /// The device's counters, for the dispatch to record into.
    #[cfg_attr(not(feature = "trace"), allow(dead_code))]
    pub(crate) fn stats(&self) -> &OpStats {
        &self.inner.stats
    }

    /// Registers `handler` for the device's asynchronous events
    /// (`ib_register_event_handler`); it sees every event dispatched from
    /// now on, until unregistered.
    pub fn register_event_handler(
        &self,
        handler: impl Fn(&AsyncEvent) + Send + Sync + 'static,
    ) -> EventHandlerId {
        let handler: Arc<EventHandler> = Arc::new(handler);
        self.inner.events.handlers.register(handler)
    }

    /// Removes a handler (`ib_unregister_event_handler`); `false` when `id`
    /// names none (already removed).
    pub fn unregister_event_handler(&self, id: EventHandlerId) -> bool {
        self.inner.events.handlers.unregister(id)
    }

    /// Dispatches `event` to every registered handler (`ib_dispatch_event`),
    /// as the provider's [`EventSender`] does.
    pub fn dispatch_event(&self, event: &AsyncEvent) {
        self.inner.events.dispatch(event);
    }

    /// A handle that does not keep the device alive.
    pub fn downgrade(&self) -> WeakDevice {
        WeakDevice {
            inner: Arc::downgrade(&self.inner),
        }
    }

    /// Whether two handles name the same device.
    pub fn same(&self, other: &Device) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

/// A [`Device`] handle that does not keep it alive (for a provider's
/// timers and workers, which must not outlive the device).
#[derive(Clone, Default)]
pub struct WeakDevice {
    inner: Weak<DeviceInner>,
}

impl WeakDevice {
    /// The device, if it still exists.
    pub fn upgrade(&self) -> Option<Device> {
        self.inner.upgrade().map(|inner| Device { inner })
    }
}

impl fmt::Debug for WeakDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.upgrade() {
            Some(device) => write!(f, "WeakDevice({})", device.name()),
            None => f.write_str("WeakDevice(gone)"),
        }
    }
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Device")
            .field("name", &self.inner.name)
            .field("ops", &self.inner.ops)
            .finish_non_exhaustive()
    }
}
