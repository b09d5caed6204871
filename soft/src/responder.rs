//! The responder: what a message does at the QP it reaches. A SEND (or a
//! WRITE with immediate) consumes a receive, lands in its scatter list and
//! completes it; a WRITE, READ or atomic reaches the memory an rkey names,
//! with the rights the region and the responder QP grant. A failure here
//! becomes the requester's completion status (what a channel adapter would
//! NAK) and may put the responder QP in error.
//!
//! For an RC peer with a receive queue of its own, the queue stays locked
//! for a whole post list: one lock per list, not per message, and its
//! receive completions go to the CQ together at the end. Copies between
//! registered buffers run in one burst ([`Dma`]) per post list, released
//! before any other lock is taken.

use std::sync::Arc;

use super::device::SoftDevice;
use super::keys::Keys;
use super::memory::{SgList, Source};
use super::qp::SoftQp;
use super::recv::{Consumed, Delivery, Receive, RecvGuard, RecvQueue};
use ibops::buffer::Dma;
use ibops::verbs::{AccessFlags, QpType, WcFlags, WcOpcode, WcStatus, WorkCompletion};

/// Bytes a UD receive buffer reserves for the GRH.
pub(super) const GRH_BYTES: usize = 40;

/// What became of a work request.
pub(super) enum Outcome {
    /// It completed with `status`, moving `byte_len` bytes.
    Done {
        /// The requester's completion status.
        status: WcStatus,
        /// Bytes moved.
        byte_len: u32,
    },
    /// The responder has no receive (an RNR NAK): the request waits for
    /// one at `rq`, retrying after the responder's RNR timer code `timer`.
    Rnr {
        /// The responder's receive queue.
        rq: Arc<RecvQueue>,
        /// The responder's `min_rnr_timer`.
        timer: u8,
    },
}

/// A request that ended with `status`, moving nothing.
pub(super) fn done(status: WcStatus) -> Outcome {
    Outcome::Done {
        status,
        byte_len: 0,
    }
}

/// A request that succeeded, moving `len` bytes.
pub(super) fn success(len: usize) -> Outcome {
    Outcome::Done {
        status: WcStatus::Success,
        byte_len: u32::try_from(len).unwrap_or(u32::MAX),
    }
}

/// The responder side of one post list.
pub(super) struct Responder<'a> {
    device: &'a SoftDevice,
    keys: &'a Keys<'a>,
    /// The requester's QP number: the receive completions' source QP.
    src_qpn: u32,
    /// The RC peer's own receive queue, locked for the post list once a
    /// message needed a receive.
    held: Option<RecvGuard<'a>>,
    /// The buffers the last copy locked.
    dma: Dma<'a>,
}

impl<'a> Responder<'a> {
    /// The responder side for messages from QP `src_qpn`.
    pub(super) fn new(device: &'a SoftDevice, keys: &'a Keys<'a>, src_qpn: u32) -> Responder<'a> {
        Responder {
            device,
            keys,
            src_qpn,
            held: None,
            dma: Dma::default(),
        }
    }

    /// Unlocks the buffers the burst holds (before another lock is taken).
    pub(super) fn release(&mut self) {
        self.dma.release();
    }

    /// The key table the post list resolves with.
    pub(super) fn keys(&self) -> &'a Keys<'a> {
        self.keys
    }

    /// Puts the held queue's batched receive completions on `peer`'s CQ
    /// (an overrun puts the peer in the error state) and unlocks it.
    pub(super) fn deliver(&mut self, peer: Option<&Arc<SoftQp>>) {
        self.dma.release();
        if let (Some(mut held), Some(peer)) = (self.held.take(), peer)
            && held.deliver(&peer.recv_cq)
        {
            peer.enter_fatal_error_as_responder(Some(&mut held));
        }
    }

    /// The bytes an rkey names at the responder, if the region and the
    /// responder QP both allow `need`.
    fn remote(
        &self,
        peer: &SoftQp,
        rkey: u32,
        addr: u64,
        len: usize,
        need: AccessFlags,
    ) -> Result<SgList<'a>, WcStatus> {
        if !peer.responder_access().contains(need) {
            return Err(WcStatus::RemAccessErr);
        }
        self.keys
            .remote(rkey, addr, len, peer.pd, need)
            .map(SgList::one)
    }

    /// Whether `peer` lets this requester read `len` bytes at `addr` of
    /// region `rkey`: the status a READ of them fails with otherwise.
    pub(super) fn may_read(
        &self,
        peer: &SoftQp,
        rkey: u32,
        addr: u64,
        len: usize,
    ) -> Result<(), WcStatus> {
        self.remote(peer, rkey, addr, len, AccessFlags::REMOTE_READ)
            .map(drop)
    }

    /// Delivers a message to the next receive at `peer`: `respond` writes
    /// it and makes the receive's completion. A receive that fails puts
    /// the peer in the error state; without a receive the request gets an
    /// RNR NAK.
    #[inline(always)]
    fn receive(
        &mut self,
        peer: &'a Arc<SoftQp>,
        solicited: bool,
        respond: impl FnOnce(&Receive, &mut Dma<'a>) -> (WorkCompletion, Outcome),
    ) -> Outcome {
        let consumed = if peer.shared_rq {
            // An SRQ's receives complete on the CQs of several QPs, at once:
            // its copies lock their buffers on their own, unlocked before
            // the completion is pushed.
            self.dma.release();
            match peer.lock_receiving() {
                Some(mut srq) => srq.consume(&peer.recv_cq, solicited, Delivery::Now, |recv| {
                    respond(recv, &mut Dma::default())
                }),
                None => Consumed::Closed,
            }
        } else {
            if self.held.is_none() {
                self.dma.release();
                self.held = Some(peer.rq.lock());
            }
            let dma = &mut self.dma;
            match &mut self.held {
                Some(held) => held.consume(&peer.recv_cq, solicited, Delivery::Batched, |recv| {
                    respond(recv, dma)
                }),
                None => Consumed::Closed,
            }
        };
        match consumed {
            Consumed::Used { value, overrun } => {
                let failed = !matches!(
                    value,
                    Outcome::Done {
                        status: WcStatus::Success,
                        ..
                    }
                );
                if overrun || failed {
                    // The error state flushes to a CQ: nothing stays locked.
                    self.dma.release();
                }
                if overrun {
                    peer.enter_fatal_error_as_responder(self.held.as_mut());
                } else if failed {
                    peer.enter_error_as_responder(self.held.as_mut());
                }
                value
            }
            Consumed::Empty => Outcome::Rnr {
                rq: Arc::clone(&peer.rq),
                timer: peer.min_rnr_timer(),
            },
            Consumed::Closed => done(WcStatus::RetryExcErr),
        }
    }

    /// SEND (with immediate `imm`) of `src` to `peer`.
    pub(super) fn send(
        &mut self,
        peer: &'a Arc<SoftQp>,
        src: &Source<'a, '_>,
        imm: Option<u32>,
        solicited: bool,
    ) -> Outcome {
        let (keys, src_qpn, len) = (self.keys, self.src_qpn, src.len());
        self.receive(peer, solicited, |recv, dma| {
            let dst = match receive_buffers(keys, recv, peer) {
                Ok(dst) => dst,
                Err(status) => {
                    return (failed(peer, recv.wr_id, status), done(WcStatus::RemOpErr));
                }
            };
            if dst.len < len {
                let wc = failed(peer, recv.wr_id, WcStatus::LocLenErr);
                return (wc, done(WcStatus::RemInvReqErr));
            }
            if src.land(&dst, 0, dma).is_err() {
                // Never a success for bytes that did not land.
                let wc = failed(peer, recv.wr_id, WcStatus::LocProtErr);
                return (wc, done(WcStatus::RemOpErr));
            }
            let wc = received(peer, recv, src_qpn, WcOpcode::Recv, len, imm);
            (wc, success(len))
        })
    }

    /// RDMA WRITE (with immediate `imm`) of `src` to `remote_addr` of
    /// region `rkey` at `peer`.
    pub(super) fn write(
        &mut self,
        peer: &'a Arc<SoftQp>,
        src: &Source<'a, '_>,
        remote_addr: u64,
        rkey: u32,
        imm: Option<u32>,
        solicited: bool,
    ) -> Outcome {
        let len = src.len();
        // A zero-length RDMA WRITE names no memory: its rkey is not checked.
        let dst = if len == 0 {
            None
        } else {
            match self.remote(peer, rkey, remote_addr, len, AccessFlags::REMOTE_WRITE) {
                Ok(dst) => Some(dst),
                Err(status) => return done(status),
            }
        };
        let copy = |dma: &mut Dma<'a>| match &dst {
            Some(dst) => src.land(dst, 0, dma).is_ok(),
            None => true,
        };
        // With an immediate, the data lands only once a receive is there.
        let Some(imm) = imm else {
            return if copy(&mut self.dma) {
                success(len)
            } else {
                done(WcStatus::RemAccessErr)
            };
        };
        let src_qpn = self.src_qpn;
        self.receive(peer, solicited, |recv, dma| {
            if !copy(dma) {
                let wc = failed(peer, recv.wr_id, WcStatus::RemAccessErr);
                return (wc, done(WcStatus::RemAccessErr));
            }
            let opcode = WcOpcode::RecvRdmaWithImm;
            let wc = received(peer, recv, src_qpn, opcode, len, Some(imm));
            (wc, success(len))
        })
    }

    /// RDMA READ of `remote_addr` of region `rkey` at `peer` into `dst`.
    pub(super) fn read(
        &mut self,
        peer: &SoftQp,
        dst: &SgList<'a>,
        remote_addr: u64,
        rkey: u32,
    ) -> Outcome {
        if dst.len > 0 {
            let src = match self.remote(peer, rkey, remote_addr, dst.len, AccessFlags::REMOTE_READ)
            {
                Ok(src) => src,
                Err(status) => return done(status),
            };
            if dst.burst_from(&src, 0, &mut self.dma).is_err() {
                return done(WcStatus::LocProtErr);
            }
        }
        success(dst.len)
    }

    /// An atomic `op` on the eight bytes at `remote_addr` of region `rkey`
    /// at `peer`; the old value lands in `dst`.
    pub(super) fn atomic(
        &mut self,
        peer: &SoftQp,
        dst: &SgList<'a>,
        remote_addr: u64,
        rkey: u32,
        op: impl FnOnce(u64) -> u64,
    ) -> Outcome {
        if !remote_addr.is_multiple_of(8) {
            return done(WcStatus::RemInvReqErr);
        }
        let target = match self.remote(peer, rkey, remote_addr, 8, AccessFlags::REMOTE_ATOMIC) {
            Ok(target) => target,
            Err(status) => return done(status),
        };
        let Some(seg) = target.first() else {
            return done(WcStatus::RemAccessErr);
        };
        match self.dma.update_u64(seg.buffer, seg.offset, op) {
            Ok(old) => match dst.write_prefix(&old.to_ne_bytes(), &mut self.dma) {
                Ok(()) => success(8),
                Err(_) => done(WcStatus::LocProtErr),
            },
            Err(_) => done(WcStatus::RemAccessErr),
        }
    }

    /// A UD datagram of `src` to QP `remote_qpn` with Q_Key `remote_qkey`;
    /// `grh` when its address handle carries a GRH. UD is unreliable: a
    /// datagram to a missing QP, with a wrong Q_Key or without a receive is
    /// dropped and the sender still succeeds.
    pub(super) fn datagram(
        &mut self,
        src: &Source<'a, '_>,
        remote_qpn: u32,
        remote_qkey: u32,
        imm: Option<u32>,
        grh: Option<&[u8; GRH_BYTES]>,
    ) -> Outcome {
        let len = src.len();
        let sent = success(len);
        if !self.device.port_active() {
            return sent;
        }
        let Some(target) = self
            .device
            .qp(remote_qpn)
            .filter(|t| t.qp_type == QpType::Ud && t.receives() && t.qkey() == remote_qkey)
        else {
            return sent;
        };
        let (keys, src_qpn) = (self.keys, self.src_qpn);
        // Its completion is pushed at once: nothing stays locked meanwhile.
        self.dma.release();
        // A datagram's receive failing does not move a UD QP to ERR; only
        // an overrun of its CQ does.
        let Some(mut rq) = target.lock_receiving() else {
            return sent;
        };
        let consumed = rq.consume(&target.recv_cq, false, Delivery::Now, |recv| {
            let dst = match receive_buffers(keys, recv, &target) {
                Ok(dst) => dst,
                Err(status) => return (failed(&target, recv.wr_id, status), ()),
            };
            if dst.len < GRH_BYTES + len {
                return (failed(&target, recv.wr_id, WcStatus::LocLenErr), ());
            }
            let mut dma = Dma::default();
            let landed = dst
                .write_prefix(grh.unwrap_or(&[0; GRH_BYTES]), &mut dma)
                .is_ok()
                && src.land(&dst, GRH_BYTES, &mut dma).is_ok();
            drop(dma);
            if !landed {
                return (failed(&target, recv.wr_id, WcStatus::LocProtErr), ());
            }
            let len = GRH_BYTES + len;
            let mut wc = received(&target, recv, src_qpn, WcOpcode::Recv, len, imm);
            if grh.is_some() {
                wc.wc_flags |= WcFlags::GRH;
            }
            (wc, ())
        });
        if let Consumed::Used { overrun: true, .. } = consumed {
            target.enter_fatal_error_as_responder(Some(&mut rq));
        }
        sent
    }
}

/// The bytes a receive of `responder` scatters into, as resolved when it
/// was posted, checked again against the keys and the responder's PD.
#[inline(always)]
fn receive_buffers<'k>(
    keys: &'k Keys<'_>,
    recv: &Receive,
    responder: &SoftQp,
) -> Result<SgList<'k>, WcStatus> {
    SgList::resolve(recv.first.as_slice(), &recv.rest, |r| {
        keys.segment(r, responder.pd)
    })
}

/// The responder's successful receive completion.
fn received(
    peer: &SoftQp,
    recv: &Receive,
    src_qp: u32,
    opcode: WcOpcode,
    len: usize,
    imm: Option<u32>,
) -> WorkCompletion {
    WorkCompletion {
        wr_id: recv.wr_id,
        status: WcStatus::Success,
        opcode,
        byte_len: u32::try_from(len).unwrap_or(u32::MAX),
        imm_data: imm.unwrap_or(0),
        qp_num: peer.qpn,
        src_qp,
        wc_flags: if imm.is_some() {
            WcFlags::WITH_IMM
        } else {
            WcFlags::empty()
        },
        slid: 1,
        port_num: 1,
        ..WorkCompletion::default()
    }
}

/// A receive's failed completion.
fn failed(peer: &SoftQp, wr_id: u64, status: WcStatus) -> WorkCompletion {
    WorkCompletion {
        wr_id,
        status,
        opcode: WcOpcode::Recv,
        qp_num: peer.qpn,
        ..WorkCompletion::default()
    }
}
