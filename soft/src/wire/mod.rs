//! The RoCEv2 transport: what the soft device's QPs do across its
//! [`link`](crate::link). As in rxe, the requester, the responder and the
//! completer exchange packets:
//! - [`requester`]: an RC QP connected across the link (INIT→RTR with an
//!   address vector whose GRH names the peer's GID) sends its work
//!   requests as packets, keeps them until answered, and sends them again
//!   after a timeout, a PSN sequence NAK or an RNR wait;
//! - [`responder`]: request packets checked against the expected PSN,
//!   executed once, duplicates answered again;
//! - [`completer`]: the answers complete the requests, in order
//!   ([`completions`] gathers them);
//! - [`ud`]: UD datagrams, sent and delivered.
//!
//! The state each side keeps is in [`outstanding`] (the requester's) and
//! [`inbound`] (the responder's).

pub(crate) mod completer;
pub(crate) mod completions;
pub(crate) mod inbound;
pub(crate) mod outstanding;
pub(crate) mod requester;
pub(crate) mod responder;
pub(crate) mod ud;

use ibops::device::Device;
use ibops::verbs::{QpAttr, QpAttrMask as M, QpType};

use crate::device::soft_device;
use crate::link::{Arrived, Link, Upcalls};
use crate::qp::{SendQueue, SoftQp};
use crate::roce::Opcode;

/// What the link calls: [`deliver`] each packet, [`requester::tick`]
/// between them, [`responder::flush_acks`] once it has taken every packet
/// that had arrived.
pub(crate) const UPCALLS: Upcalls = Upcalls {
    deliver,
    tick: requester::tick,
    flush: responder::flush_acks,
};

/// Applies the attributes of a `modify_qp` the transport reads, for a QP
/// connected across the link (`sq` held): the PSNs, the responder's path
/// MTU and its READ and atomic resources, the retry counts.
pub(crate) fn modify(qp: &SoftQp, sq: &mut SendQueue, attr: &QpAttr, mask: M) {
    let Some(remote) = sq.wire.remote else {
        return;
    };
    if mask.contains(M::SQ_PSN) {
        sq.wire.next_psn = outstanding::psn_of(attr.sq_psn);
    }
    if mask.intersects(M::RETRY_CNT.union(M::RNR_RETRY).union(M::TIMEOUT)) {
        sq.wire.rearm(&sq.attr);
    }
    let mut inbound = qp.lock_inbound();
    inbound.connected = true;
    inbound.remote_qpn = remote.qpn;
    inbound.mtu = sq.attr.path_mtu.bytes();
    inbound.max_resources = usize::from(sq.attr.max_dest_rd_atomic);
    if mask.contains(M::RQ_PSN) {
        inbound.epsn = outstanding::psn_of(attr.rq_psn);
    }
}

/// Hands a packet to the side that takes it: a datagram to its UD QP, a
/// request to the responder, an answer to the completer.
fn deliver(device: &Device, link: &Link, arrived: &Arrived<'_>) -> bool {
    let Ok(soft) = soft_device(device) else {
        return false;
    };
    let _deferred = soft.deferred.on_return();
    let packet = &arrived.packet;
    if packet.deth.is_some() {
        return ud::arrive(soft, arrived);
    }
    let Some(qp) = soft
        .qp(packet.bth.dest_qp)
        .filter(|q| q.qp_type == QpType::Rc)
    else {
        return false;
    };
    if is_answer(packet.bth.opcode) {
        completer::arrive(soft, link, &qp, packet)
    } else {
        responder::arrive(soft, link, &qp, arrived.from, packet)
    }
}

/// Whether a responder sends `opcode` (an ACK, a READ's response, an
/// atomic's answer).
fn is_answer(opcode: Opcode) -> bool {
    use Opcode::*;
    matches!(
        opcode,
        RcAck
            | RcAtomicAck
            | RcReadResponseFirst
            | RcReadResponseMiddle
            | RcReadResponseLast
            | RcReadResponseOnly
    )
}
