//! The QP state machine through `modify`: valid paths, refused transitions
//! and masks that change nothing, SQD, and recovery through RESET.

use ibops::prelude::*;
use ibops_soft::Limits;

use crate::common::{ALL_REMOTE, device, node, one, rc_pair, recv, wr};

fn state(qp: &Qp) -> QpState {
    qp.state().expect("query")
}

#[test]
fn rc_reset_init_rtr_rts_and_query() {
    let dev = device();
    let a = node(&dev, QpType::Rc, 64);
    let b = node(&dev, QpType::Rc, 64);
    assert_eq!(state(&a.qp), QpState::Reset);
    let (attr, mask) = QpAttr::rc_init(1, ALL_REMOTE);
    a.qp.modify(&attr, mask).expect("init");
    assert_eq!(state(&a.qp), QpState::Init);
    let (attr, mask) = QpAttr::rc_rtr(b.qp.qp_num(), Mtu::Mtu1024, 1);
    a.qp.modify(&attr, mask).expect("rtr");
    assert_eq!(state(&a.qp), QpState::Rtr);
    let (attr, mask) = QpAttr::rc_rts(3);
    a.qp.modify(&attr, mask).expect("rts");
    let q = a.qp.query(QpAttrMask::all()).expect("query");
    assert_eq!(q.attr.qp_state, QpState::Rts);
    assert_eq!(q.attr.dest_qp_num, b.qp.qp_num());
    assert_eq!(q.attr.path_mtu, Mtu::Mtu1024);
    assert_eq!(q.attr.rnr_retry, 3);
    assert_eq!(q.attr.qp_access_flags, ALL_REMOTE);
    assert_eq!(q.init.qp_type, QpType::Rc);
    assert_eq!(q.attr.cap, crate::common::CAP);
}

#[test]
fn skipping_a_state_fails_and_changes_nothing() {
    let dev = device();
    let a = node(&dev, QpType::Rc, 64);
    let (attr, mask) = QpAttr::rc_rts(7);
    assert!(matches!(
        a.qp.modify(&attr, mask),
        Err(Error::InvalidArgument(_))
    ));
    let (attr, mask) = QpAttr::rc_rtr(a.qp.qp_num(), Mtu::Mtu1024, 1);
    assert!(a.qp.modify(&attr, mask).is_err());
    assert_eq!(state(&a.qp), QpState::Reset);
}

#[test]
fn a_missing_required_attribute_fails_and_changes_nothing() {
    let dev = device();
    let a = node(&dev, QpType::Rc, 64);
    let (attr, mask) = QpAttr::rc_init(1, ALL_REMOTE);
    a.qp.modify(&attr, mask).expect("init");
    let (attr, mask) = QpAttr::rc_rtr(a.qp.qp_num(), Mtu::Mtu1024, 1);
    let err =
        a.qp.modify(&attr, mask - QpAttrMask::DEST_QPN)
            .expect_err("no DEST_QPN");
    assert!(err.to_string().contains("required"), "{err}");
    let q = a.qp.query(QpAttrMask::all()).expect("query");
    assert_eq!(
        (q.attr.qp_state, q.attr.path_mtu),
        (QpState::Init, Mtu::default())
    );
}

#[test]
fn an_attribute_the_transition_does_not_take_fails() {
    let dev = device();
    let a = node(&dev, QpType::Rc, 64);
    let (attr, mask) = QpAttr::rc_init(1, ALL_REMOTE);
    let err =
        a.qp.modify(&attr, mask | QpAttrMask::QKEY)
            .expect_err("QKEY on RC");
    assert!(err.to_string().contains("does not take"), "{err}");
    assert_eq!(state(&a.qp), QpState::Reset);
}

#[test]
fn a_wrong_current_state_fails() {
    let dev = device();
    let a = node(&dev, QpType::Rc, 64);
    let (mut attr, mask) = QpAttr::rc_init(1, ALL_REMOTE);
    attr.cur_qp_state = QpState::Rts;
    // RESET → INIT does not take CUR_STATE, and it would not match anyway.
    assert!(a.qp.modify(&attr, mask | QpAttrMask::CUR_STATE).is_err());
    assert_eq!(state(&a.qp), QpState::Reset);
}

#[test]
fn attribute_values_are_checked() {
    let dev = device();
    let a = node(&dev, QpType::Rc, 64);
    let (attr, mask) = QpAttr::rc_init(2, ALL_REMOTE);
    assert!(matches!(
        a.qp.modify(&attr, mask),
        Err(Error::InvalidArgument(_))
    ));
    let (attr, mask) = QpAttr::rc_init(1, ALL_REMOTE);
    a.qp.modify(&attr, mask).expect("init");
    let (attr, mask) = QpAttr::rc_rtr(0x00ab_cdef, Mtu::Mtu1024, 1);
    let err = a.qp.modify(&attr, mask).expect_err("no such QP");
    assert!(err.to_string().contains("dest_qp_num"), "{err}");
    let (mut attr, mask) = QpAttr::rc_rtr(a.qp.qp_num(), Mtu::Mtu1024, 1);
    attr.max_dest_rd_atomic = (Limits::DEFAULT.max_qp_rd_atom + 1) as u8;
    assert!(matches!(
        a.qp.modify(&attr, mask),
        Err(Error::LimitExceeded {
            what: "max_dest_rd_atomic",
            ..
        })
    ));
    assert_eq!(state(&a.qp), QpState::Init);
}

#[test]
fn ud_takes_a_qkey_and_no_access_flags() {
    let dev = device();
    let u = node(&dev, QpType::Ud, 64);
    let (attr, mask) = QpAttr::rc_init(1, ALL_REMOTE);
    assert!(u.qp.modify(&attr, mask).is_err(), "UD has no access flags");
    u.qp.activate_ud(0x1111).expect("UD path");
    let q = u.qp.query(QpAttrMask::all()).expect("query");
    assert_eq!((q.attr.qp_state, q.attr.qkey), (QpState::Rts, 0x1111));
}

#[test]
fn sqd_holds_sends_until_rts() {
    let (_dev, a, b) = rc_pair(64);
    let (attr, mask) = QpAttr::to_state(QpState::Sqd);
    a.qp.modify(&attr, mask).expect("drain");
    b.qp.post_recv(&[recv(&b, 1, 0, 64)]).expect("recv");
    a.qp.post_send(&[wr(&a, 2, WrOpcode::Send, 0, 8)])
        .expect("posted in SQD");
    assert!(
        crate::common::drain(&a.cq).is_empty(),
        "not executed in SQD"
    );
    let (attr, mask) = QpAttr::to_state(QpState::Rts);
    a.qp.modify(&attr, mask).expect("back to RTS");
    assert_eq!(one(&a.cq).wr_id, 2);
    assert_eq!(one(&b.cq).wr_id, 1);
}

#[test]
fn error_then_reset_then_traffic_again() {
    let (_dev, a, b) = rc_pair(64);
    let (attr, mask) = QpAttr::to_state(QpState::Err);
    a.qp.modify(&attr, mask).expect("to ERR");
    assert_eq!(state(&a.qp), QpState::Err);
    let (attr, mask) = QpAttr::to_state(QpState::Reset);
    a.qp.modify(&attr, mask).expect("to RESET");
    let q = a.qp.query(QpAttrMask::all()).expect("query");
    assert_eq!((q.attr.qp_state, q.attr.dest_qp_num), (QpState::Reset, 0));
    a.qp.connect_rc(b.qp.qp_num(), ALL_REMOTE, 7)
        .expect("reconnect");
    b.qp.post_recv(&[recv(&b, 1, 0, 64)]).expect("recv");
    a.qp.post_send(&[wr(&a, 2, WrOpcode::Send, 0, 8)])
        .expect("send");
    assert_eq!(one(&a.cq).status, WcStatus::Success);
}

/// `drain_sq` flushes a send that waits for a receive (`rnr_retry` 7) and
/// leaves the QP in ERR; `drain_rq` flushes the posted receives.
#[test]
fn drain_sq_and_drain_rq_flush_what_is_outstanding() {
    let (_dev, a, b) = rc_pair(64);
    a.qp.post_send(&[wr(&a, 1, WrOpcode::Send, 0, 8)])
        .expect("waits for a receive");
    assert!(crate::common::drain(&a.cq).is_empty(), "still waiting");
    a.qp.drain_sq().expect("drain_sq");
    let flushed = one(&a.cq);
    assert_eq!((flushed.wr_id, flushed.status), (1, WcStatus::WrFlushErr));
    assert_eq!(state(&a.qp), QpState::Err);

    b.qp.post_recv(&[recv(&b, 7, 0, 8), recv(&b, 8, 8, 8)])
        .expect("receives");
    b.qp.drain_rq().expect("drain_rq");
    let got: Vec<(u64, WcStatus)> = crate::common::drain(&b.cq)
        .iter()
        .map(|c| (c.wr_id, c.status))
        .collect();
    assert_eq!(got, [(7, WcStatus::WrFlushErr), (8, WcStatus::WrFlushErr)]);
    assert_eq!(state(&b.qp), QpState::Err);
}
