//! The responder across the link: request packets for an RC QP whose peer
//! is across the link, checked against the PSN it expects. The expected
//! packet executes: a SEND or RDMA WRITE is reassembled packet by packet
//! and lands whole with its last (through the in-process
//! [`Responder`], so the receive, rkey, bounds and access rules are the
//! same), a READ is answered with its response packets, an atomic with its
//! original value; each is kept (`max_dest_rd_atomic`) for a duplicate. A
//! duplicate is answered again and not executed twice; a later PSN gets
//! one PSN sequence NAK. ACKs answer the packets that request one.

use std::net::IpAddr;
use std::sync::Arc;

use ibops::buffer::Buffer;
use ibops::verbs::WcStatus;

use super::inbound::{Inbound, Partial, Resource};
use crate::device::SoftDevice;
use crate::link::Link;
use crate::memory::{SgList, Source};
use crate::qp::SoftQp;
use crate::responder::{Outcome, Responder, done};
use crate::roce::{
    Aeth, AtomicAckEth, AtomicEth, Bth, Message, NakCode, Opcode, Packet, PsnCheck, Reth, Syndrome,
    check_psn, segments,
};

/// Where the answers go: the requester's address and QP, from the QP
/// numbered `local_qpn`.
struct Answer<'l> {
    link: &'l Link,
    ip: IpAddr,
    qpn: u32,
    local_qpn: u32,
}

impl Answer<'_> {
    /// A packet of `opcode` at `psn` to the requester.
    fn packet<'p>(&self, opcode: Opcode, psn: u32) -> Packet<'p> {
        Packet::new(Bth {
            opcode,
            solicited: false,
            mig_req: true,
            pad: 0,
            pkey: 0xffff,
            dest_qp: self.qpn,
            ack_req: false,
            psn,
        })
    }

    fn send(&self, packet: &Packet<'_>) {
        // An answer the socket refuses is lost: the requester asks again.
        let _ = self.link.send(self.ip, packet);
    }

    /// An ACK of `psn`, owed until the packets that have arrived are taken
    /// ([`flush_acks`]): a later one replaces it.
    fn owe(&self, inbound: &mut Inbound, psn: u32) {
        inbound.owed = Some((self.ip, psn));
        self.link.owe_ack(self.local_qpn);
    }

    /// An ACK (or NAK) of `psn` with `syndrome`.
    fn ack(&self, inbound: &Inbound, psn: u32, syndrome: Syndrome) {
        let mut packet = self.packet(Opcode::RcAck, psn);
        packet.aeth = Some(aeth(inbound, syndrome));
        self.send(&packet);
    }

    /// A READ's response: `bytes` in packets from `psn` on.
    fn read_response(&self, inbound: &Inbound, psn: u32, bytes: &[u8]) {
        let len = bytes.len() as u32;
        for seg in segments(Message::ReadResponse, len, inbound.mtu, psn) {
            let mut packet = self.packet(seg.opcode, seg.psn);
            if seg.opcode.layout().aeth {
                packet.aeth = Some(aeth(inbound, ACK));
            }
            let at = seg.offset as usize;
            packet.payload = &bytes[at..at + seg.len as usize];
            self.send(&packet);
        }
    }

    /// An atomic's answer: `orig` at `psn`.
    fn atomic_ack(&self, inbound: &Inbound, psn: u32, orig: u64) {
        let mut packet = self.packet(Opcode::RcAtomicAck, psn);
        packet.aeth = Some(aeth(inbound, ACK));
        packet.atomic_ack_eth = Some(AtomicAckEth { orig });
        self.send(&packet);
    }
}

/// The most room a message's reassembly takes at its first packet (a
/// WRITE's RETH announces its length, but the peer says it: the rest grows
/// as packets arrive).
const REASSEMBLY_START: usize = 1 << 20;

/// A message's first packet's bytes, with room for `room` bytes in all.
fn first_of(payload: &[u8], room: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(room.max(payload.len()));
    bytes.extend_from_slice(payload);
    bytes
}

/// An ACK that tracks no credits.
const ACK: Syndrome = Syndrome::Ack { credits: 31 };

fn aeth(inbound: &Inbound, syndrome: Syndrome) -> Aeth {
    Aeth {
        syndrome: syndrome.to_byte(),
        msn: inbound.msn & 0x00ff_ffff,
    }
}

/// Takes a request packet from `from` for `qp` (RC); `false` when the QP
/// does not take requests from across the link.
pub(crate) fn arrive(
    device: &SoftDevice,
    link: &Link,
    qp: &Arc<SoftQp>,
    from: IpAddr,
    packet: &Packet<'_>,
) -> bool {
    if !qp.receives() {
        return false;
    }
    let mut inbound = qp.lock_inbound();
    if !inbound.connected {
        return false;
    }
    let answer = Answer {
        link,
        ip: from,
        qpn: inbound.remote_qpn,
        local_qpn: qp.qpn,
    };
    let psn = packet.bth.psn;
    match check_psn(inbound.epsn, psn) {
        PsnCheck::Expected => {
            inbound.nak_sent = false;
            execute(device, qp, &mut inbound, &answer, packet);
        }
        PsnCheck::Duplicate => {
            Link::count(&link.duplicates);
            replay(device, qp, &inbound, &answer, packet);
        }
        PsnCheck::OutOfSequence => {
            if !inbound.nak_sent {
                inbound.nak_sent = true;
                let epsn = inbound.epsn;
                answer.ack(&inbound, epsn, Syndrome::Nak(NakCode::PsnSequenceError));
            }
        }
    }
    true
}

/// What a request's outcome answers: `None` to send nothing (an RNR NAK
/// is sent by the caller, who keeps the message), else the syndrome.
fn syndrome_of(outcome: &Outcome) -> Result<Option<Syndrome>, u8> {
    match outcome {
        Outcome::Done {
            status: WcStatus::Success,
            ..
        } => Ok(Some(ACK)),
        Outcome::Done { status, .. } => Ok(match status {
            WcStatus::RemAccessErr => Some(Syndrome::Nak(NakCode::RemoteAccessError)),
            WcStatus::RemInvReqErr => Some(Syndrome::Nak(NakCode::InvalidRequest)),
            // The QP stopped receiving meanwhile: nothing answers.
            WcStatus::RetryExcErr => None,
            _ => Some(Syndrome::Nak(NakCode::RemoteOperationalError)),
        }),
        Outcome::Rnr { timer, .. } => Err(*timer),
    }
}

/// Executes the expected request packet.
fn execute(
    device: &SoftDevice,
    qp: &Arc<SoftQp>,
    inbound: &mut Inbound,
    answer: &Answer<'_>,
    packet: &Packet<'_>,
) {
    use Opcode::*;
    let psn = packet.bth.psn;
    let opcode = packet.bth.opcode;
    let invalid = |inbound: &mut Inbound| {
        inbound.partial = None;
        answer.ack(inbound, psn, Syndrome::Nak(NakCode::InvalidRequest));
    };
    // The packets of a message in the middle: appended, acknowledged when
    // asked.
    let mid_message = matches!(
        (opcode, &inbound.partial),
        (RcSendMiddle, Some(Partial::Send(_))) | (RcWriteMiddle, Some(Partial::Write(..)))
    ) || (matches!(opcode, RcSendFirst | RcWriteFirst)
        && inbound.partial.is_none());
    if mid_message {
        // Every packet but the last is full; a message grows no larger
        // than its RETH or the port's limit says.
        let so_far = match &inbound.partial {
            Some(Partial::Send(bytes) | Partial::Write(_, bytes)) => bytes.len(),
            None => 0,
        };
        let limit = match (&inbound.partial, packet.reth) {
            (Some(Partial::Write(reth, _)), _) => reth.dma_len,
            (None, Some(reth)) => reth.dma_len,
            _ => device.limits.max_msg_sz,
        };
        let full = packet.payload.len() == inbound.mtu as usize;
        if !full || so_far + packet.payload.len() >= limit as usize {
            return invalid(inbound);
        }
        match (&mut inbound.partial, opcode, packet.reth) {
            (None, RcSendFirst, _) => {
                inbound.partial = Some(Partial::Send(first_of(packet.payload, REASSEMBLY_START)))
            }
            (None, RcWriteFirst, Some(reth)) => {
                let room = (reth.dma_len as usize).min(REASSEMBLY_START);
                inbound.partial = Some(Partial::Write(reth, first_of(packet.payload, room)));
            }
            (Some(Partial::Send(bytes) | Partial::Write(_, bytes)), _, _) => {
                bytes.extend_from_slice(packet.payload);
            }
            _ => return invalid(inbound),
        }
        inbound.advance(1);
        if packet.bth.ack_req {
            answer.owe(inbound, psn);
        }
        return;
    }
    let solicited = packet.bth.solicited;
    let src_qpn = inbound.remote_qpn;
    let imm = packet.imm;
    // A SEND or WRITE lands whole with its last packet; one that gets an
    // RNR NAK keeps what came before for the packet sent again.
    let (what, bytes, restore) = match (opcode, inbound.partial.take(), packet.reth) {
        (RcSendOnly | RcSendOnlyImm, None, _) => (Land::Send, packet.payload.to_vec(), None),
        (RcWriteOnly | RcWriteOnlyImm, None, Some(reth)) => {
            (Land::Write(reth), packet.payload.to_vec(), None)
        }
        (RcSendLast | RcSendLastImm, Some(Partial::Send(mut bytes)), _) => {
            let before = bytes.len();
            bytes.extend_from_slice(packet.payload);
            (Land::Send, bytes, Some(before))
        }
        (RcWriteLast | RcWriteLastImm, Some(Partial::Write(reth, mut bytes)), _) => {
            let before = bytes.len();
            bytes.extend_from_slice(packet.payload);
            (Land::Write(reth), bytes, Some(before))
        }
        (RcReadRequest, None, Some(reth)) => {
            return read_request(device, qp, inbound, answer, psn, reth);
        }
        (RcCompareSwap | RcFetchAdd, None, _) if device.atomics => match packet.atomic_eth {
            Some(eth) => return atomic(device, qp, inbound, answer, psn, opcode, eth),
            None => return invalid(inbound),
        },
        // An opcode out of sequence, or one this QP does not take.
        _ => return invalid(inbound),
    };
    let (outcome, message) = land(device, qp, src_qpn, bytes, what, imm, solicited);
    if let (Outcome::Rnr { .. }, Some(before), Some(message)) = (&outcome, restore, message) {
        // Rare: a copy back of what came before the last packet.
        let mut bytes = message.to_vec();
        bytes.truncate(before);
        inbound.partial = Some(match what {
            Land::Send => Partial::Send(bytes),
            Land::Write(reth) => Partial::Write(reth, bytes),
        });
    }
    respond(inbound, answer, psn, &outcome);
}

/// Where a whole message lands.
#[derive(Clone, Copy)]
enum Land {
    /// In the next receive.
    Send,
    /// Where its RETH says.
    Write(Reth),
}

/// Lands a whole SEND or WRITE of `bytes` from QP `src_qpn` at `qp`,
/// through the in-process responder; the outcome, and the message (moved,
/// not copied, into a buffer) when it got that far. A WRITE is refused
/// unless every byte its RETH announced arrived.
fn land(
    device: &SoftDevice,
    qp: &Arc<SoftQp>,
    src_qpn: u32,
    bytes: Vec<u8>,
    what: Land,
    imm: Option<u32>,
    solicited: bool,
) -> (Outcome, Option<Buffer>) {
    if let Land::Write(reth) = what
        && bytes.len() != reth.dma_len as usize
    {
        return (done(WcStatus::RemInvReqErr), None);
    }
    let Ok(buffer) = Buffer::try_from(bytes) else {
        return (done(WcStatus::RemOpErr), None);
    };
    let list = SgList::whole(&buffer);
    let src = Source::Captured(&list);
    let keys = device.keys.read();
    let mut responder = Responder::new(device, &keys, src_qpn);
    let outcome = match what {
        Land::Send => responder.send(qp, &src, imm, solicited),
        Land::Write(reth) => responder.write(qp, &src, reth.va, reth.rkey, imm, solicited),
    };
    responder.deliver(Some(qp));
    drop(responder);
    drop(keys);
    (outcome, Some(buffer))
}

/// Executes a READ request: answers with its response (kept for a
/// duplicate), or NAKs it.
fn read_request(
    device: &SoftDevice,
    qp: &SoftQp,
    inbound: &mut Inbound,
    answer: &Answer<'_>,
    psn: u32,
    reth: Reth,
) {
    match read(device, qp, inbound.remote_qpn, reth) {
        Ok(bytes) => {
            inbound.keep(Resource::Read { psn, reth });
            answer.read_response(inbound, psn, &bytes);
            inbound.advance(read_psns(reth.dma_len, inbound.mtu));
            inbound.msn = inbound.msn.wrapping_add(1);
        }
        Err(outcome) => respond(inbound, answer, psn, &outcome),
    }
}

/// Executes an atomic: answers with the original value (kept for a
/// duplicate), or NAKs it.
fn atomic(
    device: &SoftDevice,
    qp: &SoftQp,
    inbound: &mut Inbound,
    answer: &Answer<'_>,
    psn: u32,
    opcode: Opcode,
    eth: AtomicEth,
) {
    let Ok(orig_buf) = Buffer::new(8) else {
        return respond(inbound, answer, psn, &done(WcStatus::RemOpErr));
    };
    let dst = SgList::whole(&orig_buf);
    let keys = device.keys.read();
    let mut responder = Responder::new(device, &keys, inbound.remote_qpn);
    let (compare, swap_add) = (eth.compare, eth.swap_add);
    let outcome = if opcode == Opcode::RcCompareSwap {
        responder.atomic(qp, &dst, eth.va, eth.rkey, |v| {
            if v == compare { swap_add } else { v }
        })
    } else {
        responder.atomic(qp, &dst, eth.va, eth.rkey, |v| v.wrapping_add(swap_add))
    };
    drop(responder);
    drop(keys);
    match outcome {
        Outcome::Done {
            status: WcStatus::Success,
            ..
        } => {
            let mut orig = [0u8; 8];
            let orig = match orig_buf.read(0, &mut orig) {
                Ok(()) => u64::from_ne_bytes(orig),
                Err(_) => return respond(inbound, answer, psn, &done(WcStatus::RemOpErr)),
            };
            inbound.keep(Resource::Atomic { psn, orig });
            inbound.advance(1);
            inbound.msn = inbound.msn.wrapping_add(1);
            answer.atomic_ack(inbound, psn, orig);
        }
        other => respond(inbound, answer, psn, &other),
    }
}

/// Answers a SEND's or WRITE's last packet at `psn` by its `outcome`.
fn respond(inbound: &mut Inbound, answer: &Answer<'_>, psn: u32, outcome: &Outcome) {
    match syndrome_of(outcome) {
        Ok(Some(ACK)) => {
            inbound.advance(1);
            inbound.msn = inbound.msn.wrapping_add(1);
            answer.owe(inbound, psn);
        }
        Ok(Some(nak)) => {
            inbound.partial = None;
            answer.ack(inbound, psn, nak);
        }
        Ok(None) => {}
        Err(timer) => answer.ack(inbound, psn, Syndrome::RnrNak { timer }),
    }
}

/// Reads what `reth` asks at `qp`, for QP `src_qpn`: the bytes, or the
/// outcome that refused them.
fn read(device: &SoftDevice, qp: &SoftQp, src_qpn: u32, reth: Reth) -> Result<Vec<u8>, Outcome> {
    let len = reth.dma_len as usize;
    // Checked before anything is allocated: the length is the peer's word.
    {
        let keys = device.keys.read();
        let responder = Responder::new(device, &keys, src_qpn);
        if len > 0
            && let Err(status) = responder.may_read(qp, reth.rkey, reth.va, len)
        {
            return Err(done(status));
        }
    }
    let Ok(buffer) = Buffer::new(len) else {
        return Err(done(WcStatus::RemOpErr));
    };
    let dst = SgList::whole(&buffer);
    let keys = device.keys.read();
    let mut responder = Responder::new(device, &keys, src_qpn);
    let outcome = responder.read(qp, &dst, reth.va, reth.rkey);
    drop(responder);
    drop(keys);
    match outcome {
        Outcome::Done {
            status: WcStatus::Success,
            ..
        } => Ok(buffer.to_vec()),
        other => Err(other),
    }
}

/// How many PSNs a READ of `len` bytes takes at `mtu`.
fn read_psns(len: u32, mtu: u32) -> u32 {
    len.div_ceil(mtu.max(256)).max(1)
}

/// Answers a duplicate request again: a READ's response and an atomic's
/// value from the kept resources (the READ reads the memory again, as
/// IBTA allows; the atomic is not executed twice), anything else with an
/// ACK of everything before the expected PSN.
fn replay(
    device: &SoftDevice,
    qp: &Arc<SoftQp>,
    inbound: &Inbound,
    answer: &Answer<'_>,
    packet: &Packet<'_>,
) {
    let psn = packet.bth.psn;
    match inbound.resource(psn) {
        Some(Resource::Read { reth, .. }) if packet.bth.opcode == Opcode::RcReadRequest => {
            if let Ok(bytes) = read(device, qp, inbound.remote_qpn, reth) {
                answer.read_response(inbound, psn, &bytes);
            }
        }
        Some(Resource::Atomic { orig, .. }) => answer.atomic_ack(inbound, psn, orig),
        // A READ or atomic too old to be kept: nothing to answer with.
        _ if packet.bth.opcode == Opcode::RcReadRequest
            || packet.bth.opcode.layout().atomic_eth => {}
        _ if packet.bth.ack_req => answer.ack(inbound, inbound.last_done(), ACK),
        _ => {}
    }
}

/// Sends the ACKs the QPs of `device` owe (the link took every packet that
/// had arrived): one per QP, of the latest PSN it acknowledges.
pub(crate) fn flush_acks(device: &ibops::device::Device, link: &Link) {
    let Ok(soft) = crate::device::soft_device(device) else {
        return;
    };
    for qpn in link.take_owed() {
        let Some(qp) = soft.qp(qpn) else {
            continue;
        };
        let mut inbound = qp.lock_inbound();
        if let Some((ip, psn)) = inbound.owed.take() {
            let answer = Answer {
                link,
                ip,
                qpn: inbound.remote_qpn,
                local_qpn: qpn,
            };
            answer.ack(&inbound, psn, ACK);
        }
    }
}
