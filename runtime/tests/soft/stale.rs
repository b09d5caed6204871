//! What a posted receive or a waiting send may still reach once the object
//! it names is gone: nothing. A receive resolved against a region that was
//! deregistered never writes the region that later gets its key; a send
//! waiting for a receive learns that its peer left.

use ibops::prelude::*;

use crate::common::{one, rc_pair};

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
