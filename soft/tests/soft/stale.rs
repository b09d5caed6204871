//! What a posted receive or a waiting send may still reach once the object
//! it names is gone: nothing. A receive resolved against a region that was
//! deregistered never writes the region that later gets its key; a send
//! waiting for a receive learns that its peer left. (That a destroyed QP's
//! buffers and CQ are left alone once `destroy_qp` returns is a stress
//! test, in `stress.rs`.)

use ibops::prelude::*;

use crate::common::{Node, drain, one, rc_pair};

/// Registers and deregisters `buf` in `pd` until the next registration
/// would get `key` again (the 8-bit generation wraps), at most 256 times.
fn wrap_key_to(pd: &Arc<Pd>, buf: &Buffer, key: u32) {
    for _ in 0..256 {
        let mr = pd
            .reg_mr(&UserMemory::whole(buf), AccessFlags::LOCAL_WRITE)
            .expect("mr");
        let lkey = mr.lkey();
        drop(mr);
        // Deregistering moves the slot to the next generation.
        if lkey & !0xff == key & !0xff && (lkey + 1) & 0xff == key & 0xff {
            return;
        }
    }
}

/// Before the fix, a 4096-byte receive posted against a deregistered
/// region wrote 4096 bytes into the 16-byte region that got the same key
/// 256 registrations later, at the old region's offset, and completed with
/// `Success`.
#[test]
fn a_receive_never_writes_a_region_that_reused_its_key() {
    let (_dev, a, b) = rc_pair(8192);
    let old =
        b.pd.reg_mr(
            &UserMemory::range(&b.buf, 2048, 4096).expect("range"),
            AccessFlags::LOCAL_WRITE,
        )
        .expect("old mr");
    let stale_key = old.lkey();
    b.qp.post_recv(&[RecvWr::new(1, [old.sge(0, 4096).expect("sge")])])
        .expect("recv");
    drop(old);
    let other = Buffer::new(16).expect("buffer");
    wrap_key_to(&b.pd, &other, stale_key);
    // The same key, on a small region without local write, over the same
    // buffer as the old one.
    let small = UserMemory::range(&b.buf, 2048, 16).expect("range");
    let new = b.pd.reg_mr(&small, AccessFlags::empty()).expect("new mr");
    assert_eq!(new.lkey(), stale_key, "the key wrapped onto the new region");
    a.buf.write(0, &[0xab; 4096]).expect("write");
    a.qp.post_send(&[SendWr::new(2, WrOpcode::Send, [a.mr.sge(0, 4096).expect("sge")]).signaled()])
        .expect("send");
    let r = one(&b.cq);
    assert_eq!((r.wr_id, r.status), (1, WcStatus::LocProtErr));
    assert_ne!(one(&a.cq).status, WcStatus::Success);
    assert!(
        b.buf.to_vec().iter().all(|&byte| byte == 0),
        "nothing written"
    );
}

/// The same with the new region on a buffer of its own, smaller than the
/// old offset: before the fix the copy failed silently and the receive
/// still completed with `Success` and `byte_len` 4096.
#[test]
fn a_receive_whose_bytes_cannot_land_never_succeeds() {
    let (_dev, a, b) = rc_pair(8192);
    let old =
        b.pd.reg_mr(&UserMemory::whole(&b.buf), AccessFlags::LOCAL_WRITE)
            .expect("old mr");
    let stale_key = old.lkey();
    b.qp.post_recv(&[RecvWr::new(1, [old.sge(4096, 4096).expect("sge")])])
        .expect("recv");
    drop(old);
    let small = Buffer::new(16).expect("buffer");
    wrap_key_to(&b.pd, &small, stale_key);
    let new =
        b.pd.reg_mr(&UserMemory::whole(&small), AccessFlags::LOCAL_WRITE)
            .expect("new mr");
    assert_eq!(new.lkey(), stale_key);
    a.qp.post_send(&[SendWr::new(2, WrOpcode::Send, [a.mr.sge(0, 4096).expect("sge")]).signaled()])
        .expect("send");
    let r = one(&b.cq);
    assert_eq!((r.wr_id, r.status), (1, WcStatus::LocProtErr));
    assert_eq!(small.to_vec(), [0; 16]);
}

/// A region registered again under a fresh key is reached by new receives
/// as usual (the incarnation check refuses only stale ones).
#[test]
fn a_receive_posted_after_the_wrap_lands() {
    let (_dev, a, b) = rc_pair(64);
    let buf = Buffer::new(64).expect("buffer");
    let first =
        b.pd.reg_mr(&UserMemory::whole(&buf), AccessFlags::LOCAL_WRITE)
            .expect("mr");
    let key = first.lkey();
    drop(first);
    wrap_key_to(&b.pd, &buf, key);
    let again =
        b.pd.reg_mr(&UserMemory::whole(&buf), AccessFlags::LOCAL_WRITE)
            .expect("mr");
    assert_eq!(again.lkey(), key);
    b.qp.post_recv(&[RecvWr::new(1, [again.sge(0, 64).expect("sge")])])
        .expect("recv");
    a.buf.write(0, &[7; 64]).expect("write");
    a.qp.post_send(&[SendWr::new(2, WrOpcode::Send, [a.mr.sge(0, 64).expect("sge")]).signaled()])
        .expect("send");
    assert_eq!(one(&b.cq).status, WcStatus::Success);
    assert_eq!(buf.to_vec(), [7; 64]);
}

/// Brings `qp` to `state` with no other attribute.
fn move_to(qp: &Qp, state: QpState) {
    let (attr, mask) = QpAttr::to_state(state);
    qp.modify(&attr, mask).expect("modify");
}

/// Before the fix, a SEND waiting for a receive (`rnr_retry` 7) never
/// completed once its peer entered the error state: flushed queues woke
/// no waiter.
#[test]
fn a_send_waiting_for_a_receive_fails_when_its_peer_enters_error() {
    let (_dev, a, b) = rc_pair(64);
    a.qp.post_send(&[SendWr::new(1, WrOpcode::Send, [a.mr.sge(0, 8).expect("sge")]).signaled()])
        .expect("send");
    assert!(drain(&a.cq).is_empty(), "waits for a receive");
    move_to(&b.qp, QpState::Err);
    let s = one(&a.cq);
    assert_eq!((s.wr_id, s.status), (1, WcStatus::RetryExcErr));
}

/// The same with the peer destroyed, and with the peer reset.
#[test]
fn a_send_waiting_for_a_receive_fails_when_its_peer_is_destroyed_or_reset() {
    for destroy in [true, false] {
        let (_dev, a, b) = rc_pair(64);
        a.qp.post_send(&[
            SendWr::new(1, WrOpcode::Send, [a.mr.sge(0, 8).expect("sge")]).signaled(),
        ])
        .expect("send");
        assert!(drain(&a.cq).is_empty(), "waits for a receive");
        if destroy {
            let Node { qp, .. } = b;
            qp.destroy().expect("destroy");
        } else {
            move_to(&b.qp, QpState::Reset);
        }
        let s = one(&a.cq);
        assert_eq!(
            (s.wr_id, s.status),
            (1, WcStatus::RetryExcErr),
            "destroy {destroy}"
        );
    }
}

/// `SQ_DRAINED` for RTS→SQD with `en_sqd_async_notify`; before the fix the
/// flag was stored and no event ever came.
#[test]
fn sqd_with_notify_raises_sq_drained() {
    let (dev, a, _b) = rc_pair(64);
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let id = dev.register_event_handler(move |event| log.lock().expect("log").push(*event));
    let (mut attr, mask) = QpAttr::to_state(QpState::Sqd);
    a.qp.modify(&attr, mask).expect("SQD without notify");
    assert!(seen.lock().expect("log").is_empty());
    move_to(&a.qp, QpState::Rts);
    attr.en_sqd_async_notify = true;
    a.qp.modify(&attr, mask | QpAttrMask::EN_SQD_ASYNC_NOTIFY)
        .expect("SQD with notify");
    dev.unregister_event_handler(id);
    let qp_num = a.qp.qp_num();
    assert_eq!(
        *seen.lock().expect("log"),
        [AsyncEvent::SqDrained { qp_num }]
    );
}
