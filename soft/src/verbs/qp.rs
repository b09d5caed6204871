//! Queue pairs: create (RC and UD), the state machine of `modify_qp` with
//! the values each attribute may take, query, drain and destroy.

use std::sync::{Arc, Weak};

use crate::cq::soft_cq;
use crate::device::{SoftDevice, soft_device};
use crate::limits::check;
use crate::link::ip_of_gid;
use crate::pd::pd_id;
use crate::qp::{Live, SendQueue, SoftQp, soft_qp};
use crate::recv::{RecvQueue, soft_srq};
use crate::sync::{Mutex, Padded};
use crate::wire::{self, inbound::Inbound, outstanding::Remote};
use crate::{requester, transitions};
use ibops::error::{Error, Result};
use ibops::event::AsyncEvent;
use ibops::object::{Pd, Qp};
use ibops::private::Created;
use ibops::verbs::{
    AccessFlags, QpAttr, QpAttrMask as M, QpInfo, QpInitAttr, QpQuery, QpState, QpType, Udata,
};

pub(crate) fn create_qp(pd: &Pd, init: &QpInitAttr, _: &mut Udata) -> Result<Created<QpInfo>> {
    let device = soft_device(pd.device())?;
    // UC and XRC queue pairs are a choice of the soft device not to
    // support: the answer is the kernel's -EOPNOTSUPP, not a bad argument.
    if !matches!(init.qp_type, QpType::Rc | QpType::Ud) {
        return Err(Error::NotSupported(ibops::OpId::CreateQp));
    }
    let l = &device.limits;
    let cap = init.cap;
    check("max_send_wr", cap.max_send_wr, l.max_qp_wr)?;
    check("max_send_sge", cap.max_send_sge, l.max_sge)?;
    check("max_inline_data", cap.max_inline_data, l.max_inline_data)?;
    let (rq, shared_rq) = match &init.srq {
        Some(srq) => (Arc::clone(soft_srq(srq)?), true),
        None => {
            check("max_recv_wr", cap.max_recv_wr, l.max_qp_wr)?;
            check("max_recv_sge", cap.max_recv_sge, l.max_sge)?;
            (
                Arc::new(RecvQueue::for_qp(cap.max_recv_wr, cap.max_recv_sge)),
                false,
            )
        }
    };
    let send_cq = Arc::clone(soft_cq(&init.send_cq)?);
    let recv_cq = Arc::clone(soft_cq(&init.recv_cq)?);
    let pd = pd_id(pd)?;
    device.counts.qp.acquire()?;
    let deferred = Arc::clone(&device.deferred);
    let sq = Padded(Mutex::new(SendQueue::new(&send_cq)));
    let inserted = device.insert_qp(|qpn| SoftQp {
        qpn,
        qp_type: init.qp_type,
        pd,
        sq_sig_all: init.sq_sig_all,
        cap,
        send_cq,
        recv_cq,
        rq,
        shared_rq,
        live: Live::default(),
        deferred,
        sq,
        inbound: Mutex::new(Inbound::default()),
    });
    let qp = inserted.inspect_err(|_| device.counts.qp.release())?;
    let info = QpInfo {
        qp_num: qp.qpn,
        cap,
    };
    Ok(Created::new(info, qp))
}

/// `drain_sq` and `drain_rq`: the QP enters the error state, which flushes
/// its pending sends and its own receives at once (the soft device has no
/// request in flight beyond those), so both queues are drained on return.
/// An SRQ's receives belong to its other QPs too and stay posted.
pub(crate) fn drain(qp: &Qp) {
    if let (Ok(device), Ok(soft)) = (soft_device(qp.device()), soft_qp(qp)) {
        let _deferred = device.deferred.on_return();
        let mut sq = soft.lock_sq();
        soft.enter_error(&mut sq);
    }
}

pub(crate) fn destroy_qp(qp: &Qp) -> Result<()> {
    let device = soft_device(qp.device())?;
    let _deferred = device.deferred.on_return();
    let soft = soft_qp(qp)?;
    device.remove_qp(soft);
    soft.close();
    device.counts.qp.release();
    Ok(())
}

pub(crate) fn query_qp(qp: &Qp, _: M) -> Result<QpQuery> {
    let soft = soft_qp(qp)?;
    let mut attr = soft.lock_sq().attr;
    attr.qp_state = soft.state();
    attr.cur_qp_state = attr.qp_state;
    attr.cap = soft.cap;
    Ok(QpQuery {
        attr,
        init: qp.data().init.clone(),
    })
}

pub(crate) fn modify_qp(qp: &Qp, attr: &QpAttr, mask: M, _: &mut Udata) -> Result<()> {
    let device = soft_device(qp.device())?;
    let _deferred = device.deferred.on_return();
    let soft = soft_qp(qp)?;
    let mut sq = soft.lock_sq();
    let cur = soft.state();
    let next = if mask.contains(M::STATE) {
        attr.qp_state
    } else {
        cur
    };
    if mask.contains(M::CUR_STATE) && attr.cur_qp_state != cur {
        return Err(Error::InvalidArgument(
            "cur_qp_state is not the current state",
        ));
    }
    transitions::check(soft.qp_type, cur, next, mask)?;
    let peer = check_values(device, soft, attr, mask)?;
    // Everything is checked: apply.
    apply(&mut sq.attr, attr, mask);
    match peer {
        Some(Peer::Local(peer)) => sq.peer = peer,
        Some(Peer::Remote(remote)) => sq.wire.remote = Some(remote),
        None => {}
    }
    wire::modify(soft, &mut sq, attr, mask);
    if mask.contains(M::ACCESS_FLAGS) {
        soft.set_responder_access(attr.qp_access_flags);
    }
    if mask.contains(M::QKEY) {
        soft.set_qkey(attr.qkey);
    }
    if mask.contains(M::MIN_RNR_TIMER) {
        soft.set_min_rnr_timer(attr.min_rnr_timer);
    }
    match next {
        QpState::Reset => {
            soft.set_state(QpState::Reset);
            sq.reset(&soft.send_cq);
            *soft.lock_inbound() = Inbound::default();
            soft.set_responder_access(AccessFlags::empty());
            soft.set_qkey(0);
            soft.set_min_rnr_timer(0);
            soft.stop_receiving();
        }
        QpState::Err => soft.enter_error(&mut sq),
        QpState::Rts => {
            soft.set_state(next);
            requester::run_pending(device, soft, &mut sq);
        }
        QpState::Sqd => {
            soft.set_state(next);
            // The soft device has no message in flight: a request runs
            // whole when it executes, and one waiting for a receive (or
            // for SQD to end) has moved nothing yet and runs whole again.
            // So the send queue is drained as soon as it stops.
            if cur == QpState::Rts && sq.attr.en_sqd_async_notify {
                soft.deferred
                    .raise(AsyncEvent::SqDrained { qp_num: soft.qpn });
            }
        }
        QpState::Init if cur == QpState::Reset => {
            if !soft.shared_rq {
                soft.rq.open();
            }
            soft.set_state(next);
        }
        _ => soft.set_state(next),
    }
    Ok(())
}

/// An RC QP's peer.
enum Peer {
    /// A QP of this device, reached in process.
    Local(Weak<SoftQp>),
    /// A QP across the device's link.
    Remote(Remote),
}

/// Checks attribute values against the device; returns the new RC peer
/// when `DEST_QPN` is given: across the link when the device has one and
/// the address vector a GRH, else a QP of this device.
fn check_values(
    device: &SoftDevice,
    soft: &SoftQp,
    attr: &QpAttr,
    mask: M,
) -> Result<Option<Peer>> {
    if mask.contains(M::PORT) && attr.port_num != 1 {
        return Err(Error::InvalidArgument(
            "the soft device has one port, port 1",
        ));
    }
    if mask.contains(M::PKEY_INDEX) && attr.pkey_index != 0 {
        return Err(Error::InvalidArgument("P_Key index out of the table"));
    }
    if mask.contains(M::AV) && attr.ah_attr.port_num > 1 {
        return Err(Error::InvalidArgument(
            "address vector of a port the device lacks",
        ));
    }
    if mask.contains(M::PATH_MTU) && attr.path_mtu > device.limits.mtu {
        return Err(Error::InvalidArgument("path MTU above the port's MTU"));
    }
    let rd_atom = device.limits.max_qp_rd_atom;
    if mask.contains(M::MAX_QP_RD_ATOMIC) {
        check("max_rd_atomic", attr.max_rd_atomic, rd_atom)?;
    }
    if mask.contains(M::MAX_DEST_RD_ATOMIC) {
        check("max_dest_rd_atomic", attr.max_dest_rd_atomic, rd_atom)?;
    }
    if mask.contains(M::RNR_RETRY) && attr.rnr_retry > 7 {
        return Err(Error::InvalidArgument("rnr_retry is 0..=7"));
    }
    if mask.contains(M::MIN_RNR_TIMER) && attr.min_rnr_timer > 31 {
        return Err(Error::InvalidArgument("min_rnr_timer is 0..=31"));
    }
    if mask.contains(M::RETRY_CNT) && attr.retry_cnt > 7 {
        return Err(Error::InvalidArgument("retry_cnt is 0..=7"));
    }
    if !mask.contains(M::DEST_QPN) {
        return Ok(None);
    }
    if let (Some(_), Some(grh), true) = (&device.link, attr.ah_attr.grh, soft.qp_type == QpType::Rc)
    {
        return Ok(Some(Peer::Remote(Remote {
            ip: ip_of_gid(grh.dgid.0),
            qpn: attr.dest_qp_num,
        })));
    }
    match device.qp(attr.dest_qp_num) {
        Some(peer) if peer.qp_type == soft.qp_type => Ok(Some(Peer::Local(Arc::downgrade(&peer)))),
        _ => Err(Error::InvalidArgument(
            "dest_qp_num names no queue pair of this type on the device",
        )),
    }
}

/// Copies the fields `mask` selects.
fn apply(cur: &mut QpAttr, new: &QpAttr, mask: M) {
    macro_rules! take {
        ($($bit:ident => $field:ident),* $(,)?) => {$(
            if mask.contains(M::$bit) {
                cur.$field = new.$field;
            }
        )*};
    }
    take! {
        EN_SQD_ASYNC_NOTIFY => en_sqd_async_notify,
        ACCESS_FLAGS => qp_access_flags,
        PKEY_INDEX => pkey_index,
        PORT => port_num,
        QKEY => qkey,
        AV => ah_attr,
        PATH_MTU => path_mtu,
        TIMEOUT => timeout,
        RETRY_CNT => retry_cnt,
        RNR_RETRY => rnr_retry,
        RQ_PSN => rq_psn,
        MAX_QP_RD_ATOMIC => max_rd_atomic,
        MIN_RNR_TIMER => min_rnr_timer,
        SQ_PSN => sq_psn,
        MAX_DEST_RD_ATOMIC => max_dest_rd_atomic,
        DEST_QPN => dest_qp_num,
    }
}
