//! Completion queues: a bounded ring of completions with notification,
//! resize and overrun.
//!
//! A send completion carries how many send-queue slots it frees (itself and
//! the unsignaled work requests before it); polling it frees them, as a
//! channel adapter frees send WQEs when their CQE is consumed.

use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::device::soft_device;
use crate::error::{Error, Result};
use crate::object::Cq;
use crate::private::Created;
use crate::verbs::{CompletionChannel, CqInfo, CqInitAttr, CqNotifyFlags, Udata, WorkCompletion};

/// The provider state of one CQ.
#[derive(Debug)]
pub(super) struct SoftCq {
    ring: Mutex<Ring>,
    /// How many completions the ring holds, or `usize::MAX` once it
    /// overran: written under the lock, read without it, so that polling an
    /// empty CQ (what a spinning poller mostly does) takes no lock and
    /// leaves the lock to the producers, as polling a hardware CQ reads
    /// memory only.
    ready: AtomicUsize,
    channel: Option<CompletionChannel>,
}

#[derive(Debug)]
struct Ring {
    entries: VecDeque<Cqe>,
    capacity: usize,
    armed: Option<CqNotifyFlags>,
    overrun: bool,
}

/// One completion and the send-queue slots polling it frees.
#[derive(Debug)]
pub(super) struct Cqe {
    pub(super) wc: WorkCompletion,
    pub(super) frees: Option<(Arc<AtomicU32>, u32)>,
}

/// A completion did not fit: the CQ overran.
#[derive(Debug)]
pub(super) struct Overrun;

impl SoftCq {
    fn new(capacity: usize, channel: Option<CompletionChannel>) -> SoftCq {
        SoftCq {
            ring: Mutex::new(Ring {
                entries: VecDeque::with_capacity(capacity.min(4096)),
                capacity,
                armed: None,
                overrun: false,
            }),
            ready: AtomicUsize::new(0),
            channel,
        }
    }

    /// Publishes the ring's state for lock-free readers (lock held).
    fn publish(&self, ring: &Ring) {
        let ready = if ring.overrun {
            usize::MAX
        } else {
            ring.entries.len()
        };
        self.ready.store(ready, Ordering::Release);
    }

    fn ring(&self) -> MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds completions; `solicited` when one of them asks for a solicited
    /// event. Those that do not fit are lost and the CQ is marked overrun.
    ///
    /// # Errors
    /// [`Overrun`] when at least one did not fit.
    pub(super) fn push(
        &self,
        cqes: impl IntoIterator<Item = Cqe>,
        solicited: bool,
    ) -> Result<(), Overrun> {
        let mut ring = self.ring();
        let before = ring.entries.len();
        let mut lost = false;
        for cqe in cqes {
            if ring.entries.len() < ring.capacity {
                ring.entries.push_back(cqe);
            } else {
                lost = true;
            }
        }
        ring.overrun |= lost;
        self.publish(&ring);
        let added = ring.entries.len() > before;
        let fire = match ring.armed {
            Some(flags) if added => {
                flags.contains(CqNotifyFlags::NEXT_COMP)
                    || (flags.contains(CqNotifyFlags::SOLICITED) && solicited)
            }
            _ => false,
        };
        if fire {
            ring.armed = None;
        }
        drop(ring);
        if fire && let Some(channel) = &self.channel {
            channel.notify();
        }
        if lost { Err(Overrun) } else { Ok(()) }
    }

    fn poll(&self, out: &mut [WorkCompletion]) -> Result<usize> {
        if self.ready.load(Ordering::Acquire) == 0 {
            return Ok(0);
        }
        let mut ring = self.ring();
        let n = out.len().min(ring.entries.len());
        for (slot, cqe) in out.iter_mut().zip(ring.entries.drain(..n)) {
            *slot = cqe.wc;
            if let Some((used, count)) = cqe.frees {
                used.fetch_sub(count, Ordering::AcqRel);
            }
        }
        self.publish(&ring);
        if n == 0 && ring.overrun {
            return Err(Error::InvalidState("completion queue overrun"));
        }
        Ok(n)
    }
}

pub(super) fn create_cq(
    cq_device: &crate::device::Device,
    attr: &CqInitAttr,
    _: Option<&crate::object::Ucontext>,
    _: &mut Udata,
) -> Result<Created<CqInfo>> {
    let soft = soft_device(cq_device)?;
    super::limits::check(
        "max_cqe",
        u64::from(attr.cqe),
        u64::from(soft.limits.max_cqe),
    )?;
    soft.counts.cq.acquire()?;
    let cq = SoftCq::new(attr.cqe as usize, attr.channel.clone());
    Ok(Created::new(CqInfo { cqe: attr.cqe }, Arc::new(cq)))
}

pub(super) fn destroy_cq(cq: &Cq) -> Result<()> {
    soft_device(cq.device())?.counts.cq.release();
    Ok(())
}

/// The CQ's provider state.
pub(super) fn soft_cq(cq: &Cq) -> Result<&Arc<SoftCq>> {
    cq.private::<Arc<SoftCq>>()
}

pub(super) fn poll_cq(cq: &Cq, wc: &mut [WorkCompletion]) -> Result<usize> {
    soft_cq(cq)?.poll(wc)
}

pub(super) fn peek_cq(cq: &Cq, max: usize) -> Result<usize> {
    let soft = soft_cq(cq)?;
    Ok(soft.ring().entries.len().min(max))
}

pub(super) fn req_notify_cq(cq: &Cq, flags: CqNotifyFlags) -> Result<bool> {
    if !flags.intersects(CqNotifyFlags::NEXT_COMP | CqNotifyFlags::SOLICITED) {
        return Err(Error::InvalidArgument("arm with NEXT_COMP or SOLICITED"));
    }
    let soft = soft_cq(cq)?;
    let mut ring = soft.ring();
    ring.armed = Some(flags);
    Ok(flags.contains(CqNotifyFlags::REPORT_MISSED_EVENTS) && !ring.entries.is_empty())
}

pub(super) fn resize_cq(cq: &Cq, cqe: u32, _: &mut Udata) -> Result<u32> {
    let limit = soft_device(cq.device())?.limits.max_cqe;
    super::limits::check("max_cqe", u64::from(cqe), u64::from(limit))?;
    let soft = soft_cq(cq)?;
    let mut ring = soft.ring();
    if (cqe as usize) < ring.entries.len() || cqe == 0 {
        return Err(Error::InvalidArgument(
            "a CQ cannot shrink below the completions it holds",
        ));
    }
    ring.capacity = cqe as usize;
    Ok(cqe)
}
