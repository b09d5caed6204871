//! Asynchronous events: what a device reports outside any work completion
//! (a port going down, a QP that failed, an SRQ running low), and the
//! handlers registered on the device that receive them.
//!
//! This is the kernel's `struct ib_event` with `ib_register_event_handler()`
//! and `ib_dispatch_event()`: the core keeps the handlers, a provider
//! raises events through the [`EventSender`] it took from the
//! [`DeviceBuilder`](crate::DeviceBuilder) before registration, and every
//! handler of the device sees every event, in the order the provider
//! dispatched them.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use ibops::AsyncEvent;
//!
//! let device = ibops_soft::probe("soft-events-doc")?;
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let log = Arc::clone(&seen);
//! let id = device.register_event_handler(move |event| {
//!     log.lock().expect("log").push(*event);
//! });
//! // Pull the soft device's cable, then plug it back in.
//! ibops_soft::set_port_active(&device, false)?;
//! ibops_soft::set_port_active(&device, true)?;
//! assert!(device.unregister_event_handler(id));
//! assert_eq!(
//!     *seen.lock().expect("log"),
//!     [AsyncEvent::PortErr { port_num: 1 }, AsyncEvent::PortActive { port_num: 1 }]
//! );
//! # Ok::<(), ibops::Error>(())
//! ```

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

/// One asynchronous event and the object it concerns (`struct ib_event`:
/// the variant is the `ib_event_type`, its field the `element`). Queue
/// pairs are named by QP number, CQs and SRQs by the number their provider
/// gave them ([`Object::num`](crate::object::Object::num)), ports by port
/// number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AsyncEvent {
    /// `IB_EVENT_CQ_ERR`: the CQ overran; completions were lost.
    CqErr {
        /// The CQ's number.
        cq_num: u32,
    },
    /// `IB_EVENT_QP_FATAL`: the QP could not generate a completion (its
    /// CQ overran) and entered the error state.
    QpFatal {
        /// The QP's number.
        qp_num: u32,
    },
    /// `IB_EVENT_QP_REQ_ERR`: an invalid request made the QP fail.
    QpReqErr {
        /// The QP's number.
        qp_num: u32,
    },
    /// `IB_EVENT_QP_ACCESS_ERR`: a local access violation made the QP fail.
    QpAccessErr {
        /// The QP's number.
        qp_num: u32,
    },
    /// `IB_EVENT_COMM_EST`: the first message arrived on a QP in RTR.
    CommEst {
        /// The QP's number.
        qp_num: u32,
    },
    /// `IB_EVENT_SQ_DRAINED`: the send queue of a QP in SQD is empty.
    SqDrained {
        /// The QP's number.
        qp_num: u32,
    },
    /// `IB_EVENT_QP_LAST_WQE_REACHED`: a QP that takes its receives from an
    /// SRQ entered the error state and will consume no more of them.
    QpLastWqeReached {
        /// The QP's number.
        qp_num: u32,
    },
    /// `IB_EVENT_SRQ_ERR`: the SRQ failed.
    SrqErr {
        /// The SRQ's number.
        srq_num: u32,
    },
    /// `IB_EVENT_SRQ_LIMIT_REACHED`: fewer receives than the armed limit
    /// are posted; the limit is disarmed (query reports 0) until set again.
    SrqLimitReached {
        /// The SRQ's number.
        srq_num: u32,
    },
    /// `IB_EVENT_PORT_ACTIVE`: the port became active.
    PortActive {
        /// The port's number.
        port_num: u8,
    },
    /// `IB_EVENT_PORT_ERR`: the port left the active state.
    PortErr {
        /// The port's number.
        port_num: u8,
    },
    /// `IB_EVENT_LID_CHANGE`.
    LidChange {
        /// The port's number.
        port_num: u8,
    },
    /// `IB_EVENT_PKEY_CHANGE`.
    PkeyChange {
        /// The port's number.
        port_num: u8,
    },
    /// `IB_EVENT_GID_CHANGE`.
    GidChange {
        /// The port's number.
        port_num: u8,
    },
    /// `IB_EVENT_DEVICE_FATAL`: the device is unusable.
    DeviceFatal,
}

impl AsyncEvent {
    /// The kernel's name of the event type (`IB_EVENT_PORT_ERR`).
    pub fn name(&self) -> &'static str {
        match self {
            AsyncEvent::CqErr { .. } => "IB_EVENT_CQ_ERR",
            AsyncEvent::QpFatal { .. } => "IB_EVENT_QP_FATAL",
            AsyncEvent::QpReqErr { .. } => "IB_EVENT_QP_REQ_ERR",
            AsyncEvent::QpAccessErr { .. } => "IB_EVENT_QP_ACCESS_ERR",
            AsyncEvent::CommEst { .. } => "IB_EVENT_COMM_EST",
            AsyncEvent::SqDrained { .. } => "IB_EVENT_SQ_DRAINED",
            AsyncEvent::QpLastWqeReached { .. } => "IB_EVENT_QP_LAST_WQE_REACHED",
            AsyncEvent::SrqErr { .. } => "IB_EVENT_SRQ_ERR",
            AsyncEvent::SrqLimitReached { .. } => "IB_EVENT_SRQ_LIMIT_REACHED",
            AsyncEvent::PortActive { .. } => "IB_EVENT_PORT_ACTIVE",
            AsyncEvent::PortErr { .. } => "IB_EVENT_PORT_ERR",
            AsyncEvent::LidChange { .. } => "IB_EVENT_LID_CHANGE",
            AsyncEvent::PkeyChange { .. } => "IB_EVENT_PKEY_CHANGE",
            AsyncEvent::GidChange { .. } => "IB_EVENT_GID_CHANGE",
            AsyncEvent::DeviceFatal => "IB_EVENT_DEVICE_FATAL",
        }
    }
}

impl fmt::Display for AsyncEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            AsyncEvent::CqErr { cq_num } => write!(f, " (cq {cq_num})"),
            AsyncEvent::QpFatal { qp_num }
            | AsyncEvent::QpReqErr { qp_num }
            | AsyncEvent::QpAccessErr { qp_num }
            | AsyncEvent::CommEst { qp_num }
            | AsyncEvent::SqDrained { qp_num }
            | AsyncEvent::QpLastWqeReached { qp_num } => write!(f, " (qp {qp_num:#x})"),
            AsyncEvent::SrqErr { srq_num } | AsyncEvent::SrqLimitReached { srq_num } => {
                write!(f, " (srq {srq_num})")
            }
            AsyncEvent::PortActive { port_num }
            | AsyncEvent::PortErr { port_num }
            | AsyncEvent::LidChange { port_num }
            | AsyncEvent::PkeyChange { port_num }
            | AsyncEvent::GidChange { port_num } => write!(f, " (port {port_num})"),
            AsyncEvent::DeviceFatal => Ok(()),
        }
    }
}

/// What a handler is: called with each event, on the thread that
/// dispatches it. A handler must not block for long; it may call verbs
/// (the soft device dispatches with none of its locks held).
pub type EventHandler = dyn Fn(&AsyncEvent) + Send + Sync;

/// Names a registered handler, for
/// [`Device::unregister_event_handler`](crate::Device::unregister_event_handler).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventHandlerId(u64);

/// The handlers of one device.
#[derive(Default)]
pub(crate) struct EventHandlers {
    handlers: RwLock<Vec<(EventHandlerId, Arc<EventHandler>)>>,
    next_id: AtomicU64,
}

impl EventHandlers {
    pub(crate) fn register(&self, handler: Arc<EventHandler>) -> EventHandlerId {
        let id = EventHandlerId(self.next_id.fetch_add(1, Ordering::Relaxed));
        self.handlers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push((id, handler));
        id
    }

    pub(crate) fn unregister(&self, id: EventHandlerId) -> bool {
        let mut handlers = self
            .handlers
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let before = handlers.len();
        handlers.retain(|(each, _)| *each != id);
        handlers.len() != before
    }

    /// Calls every handler with `event`. The list is copied first, so a
    /// handler may register or unregister handlers.
    pub(crate) fn dispatch(&self, event: &AsyncEvent) {
        let handlers: Vec<Arc<EventHandler>> = self
            .handlers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(_, handler)| Arc::clone(handler))
            .collect();
        for handler in handlers {
            handler(event);
        }
    }
}

/// A provider's way to raise events on its device (`ib_dispatch_event`).
/// Taken from the builder, kept in the provider's device state; cloning
/// shares the same handlers.
#[derive(Clone, Default)]
pub struct EventSender {
    pub(crate) handlers: Arc<EventHandlers>,
}

impl EventSender {
    /// Calls every handler registered on the device with `event`, on this
    /// thread. Call it with none of the provider's locks held.
    pub fn dispatch(&self, event: &AsyncEvent) {
        self.handlers.dispatch(event);
    }

    /// Registers a handler among the device's, as
    /// [`Device::register_event_handler`](crate::Device::register_event_handler)
    /// does: for a provider's own tests of what it raises, before the
    /// sender's device exists.
    pub fn register_handler(
        &self,
        handler: impl Fn(&AsyncEvent) + Send + Sync + 'static,
    ) -> EventHandlerId {
        self.handlers.register(Arc::new(handler))
    }
}

impl fmt::Debug for EventSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self
            .handlers
            .handlers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("EventSender")
            .field("handlers", &count)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn every_registered_handler_sees_each_event_until_unregistered() {
        let sender = EventSender::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = |tag: &'static str| {
            let seen = Arc::clone(&seen);
            Arc::new(move |e: &AsyncEvent| {
                seen.lock().expect("log").push((tag, *e));
            }) as Arc<EventHandler>
        };
        let a = sender.handlers.register(log("a"));
        sender.handlers.register(log("b"));
        let port_err = AsyncEvent::PortErr { port_num: 1 };
        sender.dispatch(&port_err);
        assert!(sender.handlers.unregister(a));
        assert!(!sender.handlers.unregister(a), "only once");
        sender.dispatch(&AsyncEvent::DeviceFatal);
        assert_eq!(
            *seen.lock().expect("log"),
            [
                ("a", port_err),
                ("b", port_err),
                ("b", AsyncEvent::DeviceFatal)
            ]
        );
        assert_eq!(port_err.to_string(), "IB_EVENT_PORT_ERR (port 1)");
    }
}
