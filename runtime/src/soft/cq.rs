//! Completion queues: a bounded ring of completions with notification,
//! resize and overrun.
//!
//! A send completion carries how many send-queue slots it frees (itself and
//! the unsignaled work requests before it); polling it frees them, as a
//! channel adapter frees send WQEs when their CQE is consumed.

use std::collections::VecDeque;
use std::sync::{Arc, PoisonError};

use super::deferred::Deferred;
use super::sync::{AtomicU32, AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::error::{Error, Result};
use crate::event::AsyncEvent;
use crate::object::Cq;
use crate::verbs::{CompletionChannel, CqNotifyFlags, WcFlags, WcOpcode, WcStatus, WorkCompletion};

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
    /// The CQ's number, which its events name.
    pub(super) num: u32,
    deferred: Arc<Deferred>,
}

#[derive(Debug)]
struct Ring {
    entries: VecDeque<Cqe>,
    capacity: usize,
    armed: Option<CqNotifyFlags>,
    overrun: bool,
}

/// One completion as the ring stores it: the fields that vary, in 40 bytes
/// rather than a `WorkCompletion`'s 48 plus the slots it frees, since every
/// completion crosses from the producing core to the polling one. `poll`
/// expands it.
#[derive(Debug)]
pub(super) struct Cqe {
    wr_id: u64,
    byte_len: u32,
    imm_data: u32,
    qp_num: u32,
    src_qp: u32,
    status: WcStatus,
    opcode: WcOpcode,
    /// `WcFlags` bits (they fit a byte).
    flags: u8,
    /// How many send-queue slots polling this frees, in `slots`.
    frees: u32,
    slots: Option<Arc<AtomicU32>>,
}

impl Cqe {
    /// The completion `wc`; polling it frees `frees.1` slots of the send
    /// queue counter `frees.0`.
    pub(super) fn new(wc: WorkCompletion, frees: Option<(Arc<AtomicU32>, u32)>) -> Cqe {
        let (slots, frees) = frees.map_or((None, 0), |(slots, n)| (Some(slots), n));
        Cqe {
            wr_id: wc.wr_id,
            byte_len: wc.byte_len,
            imm_data: wc.imm_data,
            qp_num: wc.qp_num,
            src_qp: wc.src_qp,
            status: wc.status,
            opcode: wc.opcode,
            flags: wc.wc_flags.bits() as u8,
            frees,
            slots,
        }
    }

    /// The completion as `poll` reports it: a received message also names
    /// the one port and its LID.
    fn expand(&self) -> WorkCompletion {
        let received = self.status == WcStatus::Success
            && matches!(self.opcode, WcOpcode::Recv | WcOpcode::RecvRdmaWithImm);
        WorkCompletion {
            wr_id: self.wr_id,
            status: self.status,
            opcode: self.opcode,
            byte_len: self.byte_len,
            imm_data: self.imm_data,
            qp_num: self.qp_num,
            src_qp: self.src_qp,
            wc_flags: WcFlags::from_bits_truncate(u32::from(self.flags)),
            slid: u16::from(received),
            port_num: u8::from(received),
            ..WorkCompletion::default()
        }
    }
}

/// A completion did not fit: the CQ overran.
#[derive(Debug)]
pub(super) struct Overrun;

impl SoftCq {
    /// A CQ of `capacity` entries numbered `num`, notifying `channel`.
    pub(super) fn new(
        capacity: usize,
        channel: Option<CompletionChannel>,
        num: u32,
        deferred: Arc<Deferred>,
    ) -> SoftCq {
        SoftCq {
            ring: Mutex::new(Ring {
                entries: VecDeque::with_capacity(capacity.min(4096)),
                capacity,
                armed: None,
                overrun: false,
            }),
            ready: AtomicUsize::new(0),
            channel,
            num,
            deferred,
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
    /// event. Those that do not fit are lost and the CQ is marked overrun
    /// (the first overrun raises `CQ_ERR`).
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
        let room = ring.capacity.saturating_sub(before);
        let mut cqes = cqes.into_iter();
        ring.entries.extend(cqes.by_ref().take(room));
        // What does not fit is lost.
        let lost = cqes.next().is_some();
        if lost && !ring.overrun {
            self.deferred.raise(AsyncEvent::CqErr { cq_num: self.num });
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

    /// Moves up to `out.len()` completions into `out`, oldest first; polling
    /// a send completion frees its send-queue slots.
    ///
    /// # Errors
    /// [`Error::InvalidState`] once an overrun CQ is empty.
    pub(super) fn poll(&self, out: &mut [WorkCompletion]) -> Result<usize> {
        if self.ready.load(Ordering::Acquire) == 0 {
            return Ok(0);
        }
        let mut ring = self.ring();
        let n = out.len().min(ring.entries.len());
        for (slot, cqe) in out.iter_mut().zip(ring.entries.drain(..n)) {
            *slot = cqe.expand();
            if let Some(used) = &cqe.slots {
                used.fetch_sub(cqe.frees, Ordering::AcqRel);
            }
        }
        self.publish(&ring);
        if n == 0 && ring.overrun {
            return Err(Error::InvalidState("completion queue overrun"));
        }
        Ok(n)
    }

    /// How many completions it holds, at most `max`.
    pub(super) fn peek(&self, max: usize) -> usize {
        self.ring().entries.len().min(max)
    }

    /// Arms the notification; `true` when `flags` asks to report missed
    /// events and completions are waiting.
    pub(super) fn arm(&self, flags: CqNotifyFlags) -> bool {
        let mut ring = self.ring();
        ring.armed = Some(flags);
        flags.contains(CqNotifyFlags::REPORT_MISSED_EVENTS) && !ring.entries.is_empty()
    }

    /// Changes the capacity.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] below the completions it holds, or zero.
    pub(super) fn resize(&self, cqe: u32) -> Result<()> {
        let mut ring = self.ring();
        if (cqe as usize) < ring.entries.len() || cqe == 0 {
            return Err(Error::InvalidArgument(
                "a CQ cannot shrink below the completions it holds",
            ));
        }
        ring.capacity = cqe as usize;
        Ok(())
    }
}

/// The CQ's provider state.
pub(super) fn soft_cq(cq: &Cq) -> Result<&Arc<SoftCq>> {
    cq.private::<Arc<SoftCq>>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_completion_is_compact_and_expands_back() {
        assert!(core::mem::size_of::<Cqe>() <= 40);
        let wc = WorkCompletion {
            wr_id: 7,
            opcode: WcOpcode::RecvRdmaWithImm,
            byte_len: 9,
            imm_data: 3,
            qp_num: 4,
            src_qp: 5,
            wc_flags: WcFlags::WITH_IMM,
            slid: 1,
            port_num: 1,
            ..WorkCompletion::default()
        };
        assert_eq!(Cqe::new(wc, None).expand(), wc);
    }
}
