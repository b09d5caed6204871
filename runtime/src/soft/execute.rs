//! Executing one send work request between two QPs of the device: the
//! requester's checks, the responder's checks, the copy, and the
//! completions each side gets, with the libibverbs status of every failure.
//!
//! Execution is synchronous, inside `post_send`: the in-process "wire" is a
//! copy between buffers. What a channel adapter would NAK or time out
//! becomes the requester's completion status:
//! - a bad local key, address or access: local protection error;
//! - a message above the port limit: local length error;
//! - a bad rkey, an address outside the region, or rights the region or
//!   the responder QP lacks: remote access error;
//! - a misaligned atomic: remote invalid request;
//! - a receive too small for a SEND: remote invalid request (the responder
//!   completes the receive with a local length error);
//! - no receive posted (an RNR NAK): with `rnr_retry` 7 (infinite) the
//!   send waits for one; otherwise it retries `rnr_retry` times, each after
//!   the responder's `min_rnr_timer` delay, then fails with RNR retry
//!   exceeded (the [`timer`](super::timer) module);
//! - no peer QP ready to receive: transport retry exceeded.
//!
//! A UD send through an address handle of another device or another PD
//! fails with a local QP operation error (rxe's rule).
//!
//! UD is unreliable: a datagram to a missing QP, with a wrong Q_Key or
//! without a receive is dropped and the sender still succeeds.

use std::sync::Arc;

use super::copy::SgList;
use super::device::{SoftDevice, soft_device};
use super::keys::Keys;
use super::pd::pd_id;
use super::qp::SoftQp;
use super::recv::{Consumed, Delivery, Receive, RecvQueue};
use crate::object::Ah;
use crate::verbs::{
    AccessFlags, QpType, SendFlags, SendWr, Sge, WcFlags, WcOpcode, WcStatus, WorkCompletion,
    WrOpcode,
};

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

fn done(status: WcStatus) -> Outcome {
    Outcome::Done {
        status,
        byte_len: 0,
    }
}

fn success(len: usize) -> Outcome {
    Outcome::Done {
        status: WcStatus::Success,
        byte_len: u32::try_from(len).unwrap_or(u32::MAX),
    }
}

/// The completion opcode of a send work request.
pub(super) fn wc_opcode(op: &WrOpcode) -> WcOpcode {
    match op {
        WrOpcode::Send | WrOpcode::SendWithImm { .. } | WrOpcode::UdSend { .. } => WcOpcode::Send,
        WrOpcode::RdmaWrite { .. } | WrOpcode::RdmaWriteWithImm { .. } => WcOpcode::RdmaWrite,
        WrOpcode::RdmaRead { .. } => WcOpcode::RdmaRead,
        WrOpcode::AtomicCmpAndSwp { .. } => WcOpcode::CompSwap,
        WrOpcode::AtomicFetchAndAdd { .. } => WcOpcode::FetchAdd,
    }
}

/// One requester QP's view for executing a run of work requests: the key
/// table and the peer are looked up once.
pub(super) struct Requester<'a> {
    device: &'a SoftDevice,
    keys: Keys<'a>,
    qp: &'a SoftQp,
    peer: Option<Arc<SoftQp>>,
}

impl<'a> Requester<'a> {
    /// A requester for `qp`, connected to `peer`.
    pub(super) fn new(
        device: &'a SoftDevice,
        qp: &'a SoftQp,
        peer: Option<Arc<SoftQp>>,
    ) -> Requester<'a> {
        Requester {
            device,
            keys: device.keys.read(),
            qp,
            peer,
        }
    }

    /// The device it runs on.
    pub(super) fn device(&self) -> &'a SoftDevice {
        self.device
    }

    /// Executes `wr`; a request that gathers reads `inline` instead of its
    /// SGEs when given (the bytes an inline request captured at post time).
    pub(super) fn execute(&self, wr: &SendWr, inline: Option<&SgList<'_>>) -> Outcome {
        let resolved;
        let src = match inline {
            Some(captured) => captured,
            None => match SgList::resolve(&wr.sg_list, |s| self.local(s, false)) {
                Ok(list) => {
                    resolved = list;
                    &resolved
                }
                Err(status) => return done(status),
            },
        };
        if let WrOpcode::UdSend {
            ah,
            remote_qpn,
            remote_qkey,
            imm_data,
        } = &wr.opcode
        {
            return self.ud_send(src, ah, *remote_qpn, *remote_qkey, *imm_data);
        }
        if src.len > self.device.limits.max_msg_sz as usize {
            return done(WcStatus::LocLenErr);
        }
        // A port that is down carries nothing: the transport retries and
        // gives up.
        let Some(peer) = self
            .peer
            .as_ref()
            .filter(|p| p.receives() && self.device.port_active())
        else {
            return done(WcStatus::RetryExcErr);
        };
        let solicited = wr.send_flags.contains(SendFlags::SOLICITED);
        match &wr.opcode {
            WrOpcode::Send => self.send(peer, src, None, solicited),
            WrOpcode::SendWithImm { imm_data } => self.send(peer, src, Some(*imm_data), solicited),
            WrOpcode::RdmaWrite { remote_addr, rkey } => {
                self.write(peer, src, *remote_addr, *rkey, None, solicited)
            }
            WrOpcode::RdmaWriteWithImm {
                remote_addr,
                rkey,
                imm_data,
            } => self.write(peer, src, *remote_addr, *rkey, Some(*imm_data), solicited),
            WrOpcode::RdmaRead { remote_addr, rkey } => self.read(peer, wr, *remote_addr, *rkey),
            WrOpcode::AtomicCmpAndSwp {
                remote_addr,
                rkey,
                compare_add,
                swap,
            } => {
                let (compare, swap) = (*compare_add, *swap);
                self.atomic(peer, wr, *remote_addr, *rkey, |v| {
                    if v == compare { swap } else { v }
                })
            }
            WrOpcode::AtomicFetchAndAdd {
                remote_addr,
                rkey,
                compare_add,
            } => {
                let add = *compare_add;
                self.atomic(peer, wr, *remote_addr, *rkey, |v| v.wrapping_add(add))
            }
            WrOpcode::UdSend { .. } => done(WcStatus::LocQpOpErr),
        }
    }

    fn local(&self, sge: &Sge, write: bool) -> Result<super::keys::Segment<'_>, WcStatus> {
        self.keys
            .local(sge.lkey, sge.addr, sge.length as usize, self.qp.pd, write)
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
    ) -> Result<SgList<'_>, WcStatus> {
        if !peer.responder_access().contains(need) {
            return Err(WcStatus::RemAccessErr);
        }
        self.keys
            .remote(rkey, addr, len, peer.pd, need)
            .map(SgList::one)
    }

    /// Puts the peer's batched receive completions on its CQ; an overrun
    /// puts the peer in the error state.
    pub(super) fn deliver(&self) {
        if let Some(peer) = &self.peer
            && peer.rq.deliver(&peer.recv_cq)
        {
            peer.enter_fatal_error_as_responder();
        }
    }

    /// Delivers a message to the next receive at `peer`: `respond` writes
    /// it and makes the receive's completion. A receive that fails puts
    /// the peer in the error state; without a receive the request waits
    /// (`rnr_retry` 7) or fails.
    fn respond(
        &self,
        peer: &Arc<SoftQp>,
        solicited: bool,
        respond: impl FnOnce(&Receive) -> (WorkCompletion, Outcome),
    ) -> Outcome {
        let delivery = if peer.shared_rq {
            Delivery::Now
        } else {
            Delivery::Batched
        };
        match peer.rq.consume(&peer.recv_cq, solicited, delivery, respond) {
            Consumed::Used { value, overrun } => {
                let failed = !matches!(
                    value,
                    Outcome::Done {
                        status: WcStatus::Success,
                        ..
                    }
                );
                if overrun {
                    peer.enter_fatal_error_as_responder();
                } else if failed {
                    peer.enter_error_as_responder();
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

    /// The bytes a receive of `responder` scatters into, checked against
    /// the responder's keys and PD.
    fn receive_buffers(&self, recv: &Receive, responder: &SoftQp) -> Result<SgList<'_>, WcStatus> {
        SgList::resolve(recv.sg_list(), |s| {
            self.keys
                .local(s.lkey, s.addr, s.length as usize, responder.pd, true)
        })
    }

    fn send(
        &self,
        peer: &Arc<SoftQp>,
        src: &SgList<'_>,
        imm: Option<u32>,
        solicited: bool,
    ) -> Outcome {
        self.respond(peer, solicited, |recv| {
            let dst = match self.receive_buffers(recv, peer) {
                Ok(dst) => dst,
                Err(status) => {
                    return (failed(peer, recv.wr_id, status), done(WcStatus::RemOpErr));
                }
            };
            if dst.len < src.len {
                let wc = failed(peer, recv.wr_id, WcStatus::LocLenErr);
                return (wc, done(WcStatus::RemInvReqErr));
            }
            dst.copy_from(src, 0);
            let wc = received(peer, recv, self.qp.qpn, WcOpcode::Recv, src.len, imm);
            (wc, success(src.len))
        })
    }

    fn write(
        &self,
        peer: &Arc<SoftQp>,
        src: &SgList<'_>,
        remote_addr: u64,
        rkey: u32,
        imm: Option<u32>,
        solicited: bool,
    ) -> Outcome {
        // A zero-length RDMA WRITE names no memory: its rkey is not checked.
        let dst = if src.len == 0 {
            None
        } else {
            match self.remote(peer, rkey, remote_addr, src.len, AccessFlags::REMOTE_WRITE) {
                Ok(dst) => Some(dst),
                Err(status) => return done(status),
            }
        };
        let copy = || {
            if let Some(dst) = &dst {
                dst.copy_from(src, 0);
            }
        };
        // With an immediate, the data lands only once a receive is there.
        let Some(imm) = imm else {
            copy();
            return success(src.len);
        };
        self.respond(peer, solicited, |recv| {
            copy();
            let opcode = WcOpcode::RecvRdmaWithImm;
            let wc = received(peer, recv, self.qp.qpn, opcode, src.len, Some(imm));
            (wc, success(src.len))
        })
    }

    fn read(&self, peer: &SoftQp, wr: &SendWr, remote_addr: u64, rkey: u32) -> Outcome {
        let dst = match SgList::resolve(&wr.sg_list, |s| self.local(s, true)) {
            Ok(dst) => dst,
            Err(status) => return done(status),
        };
        if dst.len > 0 {
            match self.remote(peer, rkey, remote_addr, dst.len, AccessFlags::REMOTE_READ) {
                Ok(src) => dst.copy_from(&src, 0),
                Err(status) => return done(status),
            }
        }
        success(dst.len)
    }

    fn atomic(
        &self,
        peer: &SoftQp,
        wr: &SendWr,
        remote_addr: u64,
        rkey: u32,
        op: impl FnOnce(u64) -> u64,
    ) -> Outcome {
        let dst = match SgList::resolve(&wr.sg_list, |s| self.local(s, true)) {
            Ok(dst) => dst,
            Err(status) => return done(status),
        };
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
        match seg.buffer.update_u64(seg.offset, op) {
            Ok(old) => {
                dst.write_prefix(&old.to_ne_bytes());
                success(8)
            }
            Err(_) => done(WcStatus::RemAccessErr),
        }
    }

    /// Whether the requester may send through `ah`: an address handle of
    /// the same device and the same PD as the QP (as rxe checks).
    fn may_use(&self, ah: &Ah) -> bool {
        let same_device = soft_device(ah.device()).is_ok_and(|d| core::ptr::eq(d, self.device));
        same_device && pd_id(&ah.data().pd).is_ok_and(|pd| pd == self.qp.pd)
    }

    fn ud_send(
        &self,
        src: &SgList<'_>,
        ah: &Ah,
        remote_qpn: u32,
        remote_qkey: u32,
        imm: Option<u32>,
    ) -> Outcome {
        if !self.may_use(ah) {
            return done(WcStatus::LocQpOpErr);
        }
        if src.len > self.device.limits.mtu.bytes() as usize {
            return done(WcStatus::LocLenErr);
        }
        let sent = success(src.len);
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
        // A datagram's receive failing does not move a UD QP to ERR; only
        // an overrun of its CQ does.
        let consumed = target
            .rq
            .consume(&target.recv_cq, false, Delivery::Now, |recv| {
                let dst = match self.receive_buffers(recv, &target) {
                    Ok(dst) => dst,
                    Err(status) => return (failed(&target, recv.wr_id, status), ()),
                };
                if dst.len < GRH_BYTES + src.len {
                    return (failed(&target, recv.wr_id, WcStatus::LocLenErr), ());
                }
                dst.write_prefix(&[0; GRH_BYTES]);
                dst.copy_from(src, GRH_BYTES);
                let len = GRH_BYTES + src.len;
                let mut wc = received(&target, recv, self.qp.qpn, WcOpcode::Recv, len, imm);
                if ah.data().attr.grh.is_some() {
                    wc.wc_flags |= WcFlags::GRH;
                }
                (wc, ())
            });
        if let Consumed::Used { overrun: true, .. } = consumed {
            target.enter_fatal_error_as_responder();
        }
        sent
    }
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

fn failed(peer: &SoftQp, wr_id: u64, status: WcStatus) -> WorkCompletion {
    WorkCompletion {
        wr_id,
        status,
        opcode: WcOpcode::Recv,
        qp_num: peer.qpn,
        ..WorkCompletion::default()
    }
}
