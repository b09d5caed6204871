//! The completer across the link: what the responder's answers do to the
//! requests in flight. An ACK completes every request up to its PSN (one
//! ACK may answer many: they are coalesced); a READ's response lands
//! packet by packet in its local SGEs and an atomic's original value in
//! its SGE; a PSN sequence NAK sends again from the PSN it names; an RNR
//! NAK waits the responder's timer, `rnr_retry` times (7: forever); any
//! other NAK fails its request with the status a channel adapter reports
//! (`REM_INV_REQ_ERR`, `REM_ACCESS_ERR`, `REM_OP_ERR`) and puts the QP in
//! error, which flushes the rest. Requests complete in order.

use std::sync::Arc;
use std::time::Instant;

use ibops::verbs::{QpState, Sge, WcStatus};

use super::completions::Completions;
use super::outstanding::{InFlight, Work};
use super::requester::{resend_from, send_allowed};
use crate::device::SoftDevice;
use crate::link::Link;
use crate::memory::SgList;
use crate::qp::{SendQueue, SoftQp};
use crate::roce::{NakCode, Opcode, Packet, Syndrome, psn_add, psn_cmp};
use crate::timer::rnr_delay;

/// Takes an answer (ACK, NAK, READ response, atomic ACK) that arrived for
/// `qp`, a requester connected across `link`; `false` when nothing waits
/// for it.
pub(crate) fn arrive(
    device: &SoftDevice,
    link: &Link,
    qp: &Arc<SoftQp>,
    packet: &Packet<'_>,
) -> bool {
    let mut sq = qp.lock_sq();
    if !sq.wire.is_remote() || !matches!(qp.state(), QpState::Rts | QpState::Sqd) {
        return false;
    }
    let mut done = Completions::new(qp);
    let psn = packet.bth.psn;
    let syndrome = packet.aeth.and_then(|a| Syndrome::from_byte(a.syndrome));
    let taken = match (packet.bth.opcode, syndrome) {
        (Opcode::RcAck, Some(Syndrome::Ack { .. })) => {
            acknowledge(link, &mut sq, &mut done, psn, true);
            true
        }
        (Opcode::RcAck, Some(Syndrome::RnrNak { timer })) => {
            rnr_nak(link, &mut sq, &mut done, psn, timer);
            true
        }
        (Opcode::RcAck, Some(Syndrome::Nak(code))) => {
            nak(link, &mut sq, &mut done, psn, code);
            true
        }
        (
            Opcode::RcReadResponseFirst
            | Opcode::RcReadResponseMiddle
            | Opcode::RcReadResponseLast
            | Opcode::RcReadResponseOnly,
            _,
        ) => read_response(device, link, &mut sq, &mut done, packet),
        (Opcode::RcAtomicAck, _) => atomic_ack(device, link, &mut sq, &mut done, packet),
        _ => false,
    };
    done.finish(&mut sq);
    if qp.state() == QpState::Rts {
        send_allowed(link, &mut sq);
    }
    taken
}

/// Completes the requests an ACK of `psn` answers: those ending at it
/// (`inclusive`) or before it. A READ or atomic it passes lost its answer:
/// it is sent again.
fn acknowledge(
    link: &Link,
    sq: &mut SendQueue,
    done: &mut Completions<'_>,
    psn: u32,
    inclusive: bool,
) {
    let mut progress = false;
    while let Some(front) = sq.wire.requests.front().filter(|r| r.sent) {
        let covered = if inclusive {
            psn_cmp(front.last_psn(), psn) <= 0
        } else {
            front.ends_before(psn)
        };
        if !covered {
            break;
        }
        if front.work.reads() {
            let from = front.first_psn;
            resend_from(link, sq, from);
            break;
        }
        done.complete_front(sq, WcStatus::Success);
        progress = true;
    }
    if progress {
        sq.wire.rearm(&sq.attr);
    }
}

/// An RNR NAK at `psn`: the requests before it are done; the one at it
/// waits the responder's `timer` and is sent again, or fails with
/// `RNR_RETRY_EXC_ERR` when no retry is left.
fn rnr_nak(link: &Link, sq: &mut SendQueue, done: &mut Completions<'_>, psn: u32, timer: u8) {
    acknowledge(link, sq, done, psn, false);
    if sq.wire.requests.front().is_none_or(|r| !r.sent) {
        return;
    }
    if sq.wire.rnr_left == 0 {
        done.fail_front(sq, WcStatus::RnrRetryExcErr);
        return;
    }
    if sq.wire.rnr_left != 7 {
        sq.wire.rnr_left -= 1;
    }
    sq.wire.rnr_due = Some((Instant::now() + rnr_delay(timer), psn));
    sq.wire.deadline = None;
}

/// A NAK at `psn` with `code`.
fn nak(link: &Link, sq: &mut SendQueue, done: &mut Completions<'_>, psn: u32, code: NakCode) {
    acknowledge(link, sq, done, psn, false);
    let status = match code {
        NakCode::PsnSequenceError => {
            resend_from(link, sq, psn);
            return;
        }
        NakCode::InvalidRequest => WcStatus::RemInvReqErr,
        NakCode::RemoteAccessError => WcStatus::RemAccessErr,
        NakCode::RemoteOperationalError => WcStatus::RemOpErr,
        NakCode::InvalidRdRequest => WcStatus::RemInvRdReqErr,
    };
    if sq.wire.requests.front().is_some_and(|r| r.sent) {
        done.fail_front(sq, status);
    }
}

/// The oldest request in flight, which a READ response or atomic ACK at
/// `psn` may answer, once the requests it implies were answered before it
/// are completed; `None` when nothing sent waits.
fn answered_front<'s>(
    link: &Link,
    sq: &'s mut SendQueue,
    done: &mut Completions<'_>,
    psn: u32,
) -> Option<&'s mut InFlight> {
    acknowledge(link, sq, done, psn, false);
    sq.wire.requests.front_mut().filter(|r| r.sent)
}

/// A packet of a READ's response: lands at its place in the oldest READ
/// when it is the packet expected next, and completes it with its last.
fn read_response(
    device: &SoftDevice,
    link: &Link,
    sq: &mut SendQueue,
    done: &mut Completions<'_>,
    packet: &Packet<'_>,
) -> bool {
    let psn = packet.bth.psn;
    let pd = done.qp().pd;
    let Some(front) = answered_front(link, sq, done, psn) else {
        return false;
    };
    let len = front.len;
    let first_psn = front.first_psn;
    let Work::Read {
        sges,
        packets,
        landed,
        ..
    } = &mut front.work
    else {
        return false;
    };
    if psn_cmp(psn, psn_add(first_psn, *packets)) != 0 {
        // A packet lost before it: the READ is sent again on timeout.
        return false;
    }
    // More than the READ asked for is a bad response.
    let status = land(
        device,
        pd,
        sges,
        *landed,
        packet.payload,
        WcStatus::BadRespErr,
    )
    .err();
    *packets += 1;
    *landed += packet.payload.len() as u32;
    let last = matches!(
        packet.bth.opcode,
        Opcode::RcReadResponseLast | Opcode::RcReadResponseOnly
    );
    let status = match status {
        None if last && *landed != len => Some(WcStatus::BadRespErr),
        other => other,
    };
    match status {
        Some(status) => done.fail_front(sq, status),
        None if last => answered(sq, done),
        None => {}
    }
    true
}

/// The oldest request got its whole answer: it completes, and the peer
/// made progress.
fn answered(sq: &mut SendQueue, done: &mut Completions<'_>) {
    done.complete_front(sq, WcStatus::Success);
    sq.wire.rearm(&sq.attr);
}

/// Writes `bytes` at `at` of the local `sges` (of protection domain `pd`):
/// a local protection error when they do not resolve, `too_long` when the
/// bytes do not fit.
fn land(
    device: &SoftDevice,
    pd: u32,
    sges: &[Sge],
    at: u32,
    bytes: &[u8],
    too_long: WcStatus,
) -> Result<(), WcStatus> {
    let keys = device.keys.read();
    let list = SgList::local(&keys, sges, pd, true)?;
    list.write_at(at as usize, bytes).map_err(|_| too_long)
}

/// An atomic's answer: its original value lands in the oldest atomic's
/// SGE, which completes.
fn atomic_ack(
    device: &SoftDevice,
    link: &Link,
    sq: &mut SendQueue,
    done: &mut Completions<'_>,
    packet: &Packet<'_>,
) -> bool {
    let psn = packet.bth.psn;
    let Some(front) = answered_front(link, sq, done, psn) else {
        return false;
    };
    let (Work::Atomic { sge, .. }, true) = (&front.work, front.first_psn == psn) else {
        return false;
    };
    let Some(orig) = packet.atomic_ack_eth.map(|a| a.orig) else {
        return false;
    };
    let sges = core::slice::from_ref(sge);
    let bytes = orig.to_ne_bytes();
    match land(device, done.qp().pd, sges, 0, &bytes, WcStatus::LocProtErr) {
        Ok(()) => answered(sq, done),
        Err(status) => done.fail_front(sq, status),
    }
    true
}
