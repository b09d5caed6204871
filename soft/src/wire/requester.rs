//! The requester across the link: a post list becomes work requests in
//! flight, each sent as the packets its opcode calls for (cut at the path
//! MTU, PSNs from `sq_psn`, an ACK requested on each message's last
//! packet), at most `max_rd_atomic` READs and atomics unanswered at once.
//! A request stays in flight, with its bytes, until the responder answers
//! it: so it can be sent again from any PSN after a timeout, a PSN
//! sequence NAK or an RNR NAK (the [`completer`](super::completer) reads
//! the answers, the timers run in [`tick`]).

use std::sync::Arc;
use std::time::Instant;

use ibops::verbs::{QpState, SendFlags, SendWr, WcStatus, WrOpcode};

use super::completions::Completions;
use super::outstanding::{InFlight, Outstanding, Work};
use crate::completer::wc_opcode;
use crate::device::{SoftDevice, soft_device};
use crate::link::Link;
use crate::memory::{SgList, Source};
use crate::pending::Pending;
use crate::qp::{SendQueue, SoftQp};
use crate::roce::{AtomicEth, Bth, Message, Opcode, Packet, Reth, psn_add, psn_cmp, segments};

/// Executes `wrs`, posted on `qp` (RTS, connected across the link): each
/// becomes a request in flight, sent while the limits allow.
pub(crate) fn post(
    device: &SoftDevice,
    link: &Link,
    qp: &Arc<SoftQp>,
    sq: &mut SendQueue,
    wrs: &[SendWr],
) {
    let mut done = Completions::new(qp);
    for (i, wr) in wrs.iter().enumerate() {
        match in_flight(device, qp, wr) {
            Ok(request) => sq.wire.requests.push_back(request),
            Err(status) => {
                // Those before it are in flight; it fails now and the QP
                // enters the error state, which flushes them and the rest.
                done.fail(sq, wr.wr_id, status, wc_opcode(&wr.opcode));
                done.finish(sq);
                qp.flush_sends(sq, &wrs[i + 1..]);
                return;
            }
        }
    }
    send_allowed(link, sq);
}

/// Runs the sends that waited in `sq.pending` (posted while the QP was in
/// SQD) as requests in flight.
pub(crate) fn post_pending(device: &SoftDevice, link: &Link, qp: &Arc<SoftQp>, sq: &mut SendQueue) {
    let pending: Vec<Pending> = sq.pending.drain(..).collect();
    let wrs: Vec<SendWr> = pending.into_iter().map(|p| p.wr).collect();
    post(device, link, qp, sq, &wrs);
}

/// The request `wr` makes, its local bytes gathered (SEND, WRITE) or its
/// local destination checked (READ, atomic); the status it fails with
/// otherwise.
fn in_flight(device: &SoftDevice, qp: &SoftQp, wr: &SendWr) -> Result<InFlight, WcStatus> {
    let keys = device.keys.read();
    let gather = || -> Result<Vec<u8>, WcStatus> {
        let list = SgList::local(&keys, &wr.sg_list, qp.pd, false)?;
        if list.len > device.limits.max_msg_sz as usize {
            return Err(WcStatus::LocLenErr);
        }
        Source::Registered(&list)
            .gather()
            .map_err(|_| WcStatus::LocProtErr)
    };
    let writable = || -> Result<usize, WcStatus> {
        let list = SgList::local(&keys, &wr.sg_list, qp.pd, true)?;
        if list.len > device.limits.max_msg_sz as usize {
            return Err(WcStatus::LocLenErr);
        }
        Ok(list.len)
    };
    let (work, len) = match &wr.opcode {
        WrOpcode::Send | WrOpcode::SendWithImm { .. } => {
            let imm = match wr.opcode {
                WrOpcode::SendWithImm { imm_data } => Some(imm_data),
                _ => None,
            };
            let bytes = gather()?;
            let len = bytes.len();
            (Work::Send { imm, bytes }, len)
        }
        WrOpcode::RdmaWrite { remote_addr, rkey }
        | WrOpcode::RdmaWriteWithImm {
            remote_addr, rkey, ..
        } => {
            let imm = match wr.opcode {
                WrOpcode::RdmaWriteWithImm { imm_data, .. } => Some(imm_data),
                _ => None,
            };
            let bytes = gather()?;
            let len = bytes.len();
            let (va, rkey) = (*remote_addr, *rkey);
            (
                Work::Write {
                    va,
                    rkey,
                    imm,
                    bytes,
                },
                len,
            )
        }
        WrOpcode::RdmaRead { remote_addr, rkey } => {
            let len = writable()?;
            let sges = wr.sg_list.to_vec();
            let (va, rkey) = (*remote_addr, *rkey);
            let work = Work::Read {
                va,
                rkey,
                sges,
                packets: 0,
                landed: 0,
            };
            (work, len)
        }
        WrOpcode::AtomicCmpAndSwp {
            remote_addr,
            rkey,
            compare_add,
            swap,
        } => {
            let len = writable()?;
            let sge = wr.sg_list.first().copied().ok_or(WcStatus::LocLenErr)?;
            let (va, rkey, compare, swap_add) = (*remote_addr, *rkey, *compare_add, *swap);
            let work = Work::Atomic {
                compare_swap: true,
                va,
                rkey,
                swap_add,
                compare,
                sge,
            };
            (work, len)
        }
        WrOpcode::AtomicFetchAndAdd {
            remote_addr,
            rkey,
            compare_add,
        } => {
            let len = writable()?;
            let sge = wr.sg_list.first().copied().ok_or(WcStatus::LocLenErr)?;
            let (va, rkey, swap_add) = (*remote_addr, *rkey, *compare_add);
            let work = Work::Atomic {
                compare_swap: false,
                va,
                rkey,
                swap_add,
                compare: 0,
                sge,
            };
            (work, len)
        }
        WrOpcode::UdSend { .. } => return Err(WcStatus::LocQpOpErr),
    };
    Ok(InFlight {
        wr_id: wr.wr_id,
        signaled: wr.send_flags.contains(SendFlags::SIGNALED),
        solicited: wr.send_flags.contains(SendFlags::SOLICITED),
        work,
        len: u32::try_from(len).map_err(|_| WcStatus::LocLenErr)?,
        first_psn: 0,
        psns: 0,
        sent: false,
    })
}

/// The most PSNs sent and not acknowledged at once: what one window of
/// packets may put into the peer's socket buffer.
const WINDOW_PSNS: u32 = 128;

/// Sends the requests not sent yet, in order, while `max_rd_atomic` and
/// the window of [`WINDOW_PSNS`] allow (a request larger than the window
/// goes alone) and no RNR wait runs; arms the ACK timer when it sent any.
pub(crate) fn send_allowed(link: &Link, sq: &mut SendQueue) {
    let mtu = sq.attr.path_mtu.bytes();
    let max_reads = usize::from(sq.attr.max_rd_atomic.max(1));
    // An RNR NAK stops the send queue until its wait is over.
    let (Some(remote), None) = (sq.wire.remote, sq.wire.rnr_due) else {
        return;
    };
    let mut reads = sq.wire.reads_in_flight();
    let mut sent_any = false;
    let Outstanding {
        requests, next_psn, ..
    } = &mut sq.wire;
    let mut oldest = requests.front().filter(|r| r.sent).map(|r| r.first_psn);
    for request in requests.iter_mut().filter(|r| !r.sent) {
        let psns = psns(request, mtu);
        if let Some(oldest) = oldest
            && psn_cmp(*next_psn, oldest).unsigned_abs() + psns > WINDOW_PSNS
        {
            break;
        }
        if request.work.reads() {
            if reads >= max_reads {
                break;
            }
            reads += 1;
        }
        request.first_psn = *next_psn;
        request.psns = psns;
        request.sent = true;
        oldest.get_or_insert(request.first_psn);
        *next_psn = psn_add(*next_psn, request.psns);
        send_packets(link, remote.ip, remote.qpn, request, mtu, request.first_psn);
        sent_any = true;
    }
    if sent_any && sq.wire.deadline.is_none() {
        sq.wire.restart_timer(&sq.attr);
    }
}

/// How many PSNs `request` takes at path MTU `mtu`.
fn psns(request: &InFlight, mtu: u32) -> u32 {
    match request.work {
        Work::Atomic { .. } => 1,
        _ => request.len.div_ceil(mtu).max(1),
    }
}

/// Sends `request`'s packets from PSN `from` on to QP `dest_qp` at `ip`;
/// the number sent.
pub(crate) fn send_packets(
    link: &Link,
    ip: std::net::IpAddr,
    dest_qp: u32,
    request: &InFlight,
    mtu: u32,
    from: u32,
) -> u32 {
    let bth = |opcode, psn, ack_req, solicited| Bth {
        opcode,
        solicited,
        mig_req: true,
        pad: 0,
        pkey: 0xffff,
        dest_qp,
        ack_req,
        psn,
    };
    let mut sent = 0;
    let mut send = |packet: &Packet<'_>| {
        // A packet the socket refuses is lost, as on a wire: the ACK timer
        // sends it again.
        let _ = link.send(ip, packet);
        sent += 1;
    };
    let first = request.first_psn;
    match &request.work {
        Work::Send { imm, bytes } | Work::Write { imm, bytes, .. } => {
            let message = match (&request.work, imm) {
                (Work::Send { .. }, None) => Message::Send,
                (Work::Send { .. }, Some(_)) => Message::SendImm,
                (_, None) => Message::Write,
                (_, Some(_)) => Message::WriteImm,
            };
            for seg in segments(message, request.len, mtu, first) {
                if psn_cmp(seg.psn, from) < 0 {
                    continue;
                }
                let last = seg.offset + seg.len == request.len;
                let mut packet =
                    Packet::new(bth(seg.opcode, seg.psn, last, last && request.solicited));
                let (at, n) = (seg.offset as usize, seg.len as usize);
                packet.payload = &bytes[at..at + n];
                if last {
                    packet.imm = *imm;
                }
                if let Work::Write { va, rkey, .. } = &request.work
                    && seg.offset == 0
                {
                    packet.reth = Some(Reth {
                        va: *va,
                        rkey: *rkey,
                        dma_len: request.len,
                    });
                }
                send(&packet);
            }
        }
        Work::Read { va, rkey, .. } => {
            let mut packet = Packet::new(bth(Opcode::RcReadRequest, first, true, false));
            packet.reth = Some(Reth {
                va: *va,
                rkey: *rkey,
                dma_len: request.len,
            });
            send(&packet);
        }
        Work::Atomic {
            compare_swap,
            va,
            rkey,
            swap_add,
            compare,
            ..
        } => {
            let opcode = if *compare_swap {
                Opcode::RcCompareSwap
            } else {
                Opcode::RcFetchAdd
            };
            let mut packet = Packet::new(bth(opcode, first, true, false));
            packet.atomic_eth = Some(AtomicEth {
                va: *va,
                rkey: *rkey,
                swap_add: *swap_add,
                compare: *compare,
            });
            send(&packet);
        }
    }
    sent
}

/// Sends again every request in flight from PSN `from` on (a READ whole:
/// its response starts over), and restarts the ACK timer.
pub(crate) fn resend_from(link: &Link, sq: &mut SendQueue, from: u32) {
    let mtu = sq.attr.path_mtu.bytes();
    let Some(remote) = sq.wire.remote else {
        return;
    };
    for request in sq.wire.requests.iter_mut().filter(|r| r.sent) {
        if request.ends_before(from) {
            continue;
        }
        let start = match &mut request.work {
            Work::Read {
                packets, landed, ..
            } => {
                (*packets, *landed) = (0, 0);
                request.first_psn
            }
            _ if psn_cmp(from, request.first_psn) > 0 => from,
            _ => request.first_psn,
        };
        let n = send_packets(link, remote.ip, remote.qpn, request, mtu, start);
        Link::count_n(&link.retransmitted, n);
    }
    // Sending again is no progress: the retry counts stay where they were.
    sq.wire.restart_timer(&sq.attr);
}

/// Runs the timers of `device`'s QPs connected across `link`: an RNR wait
/// that is over sends again; a request unanswered for the local ACK
/// timeout is sent again, `retry_cnt` times, then fails with
/// `RETRY_EXC_ERR` (the QP enters the error state).
pub(crate) fn tick(device: &ibops::device::Device, link: &Link) {
    let Ok(soft) = soft_device(device) else {
        return;
    };
    let _deferred = soft.deferred.on_return();
    let now = Instant::now();
    for qp in soft.qps() {
        let mut sq = qp.lock_sq();
        if !sq.wire.is_remote() || !matches!(qp.state(), QpState::Rts | QpState::Sqd) {
            continue;
        }
        if let Some((at, psn)) = sq.wire.rnr_due
            && at <= now
        {
            sq.wire.rnr_due = None;
            resend_from(link, &mut sq, psn);
            send_allowed(link, &mut sq);
            continue;
        }
        if sq.wire.rnr_due.is_some() || sq.wire.deadline.is_none_or(|at| at > now) {
            continue;
        }
        let Some(front) = sq.wire.requests.front().filter(|r| r.sent) else {
            sq.wire.deadline = None;
            continue;
        };
        if sq.wire.retries_left == 0 {
            let mut done = Completions::new(&qp);
            done.fail_front(&mut sq, WcStatus::RetryExcErr);
            done.finish(&mut sq);
            continue;
        }
        let from = front.first_psn;
        sq.wire.retries_left -= 1;
        resend_from(link, &mut sq, from);
    }
}
