//! Many threads posting and polling at once: every signaled work request
//! completes exactly once, and every message arrives intact and in order.

use std::collections::HashSet;
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use ibops::prelude::*;

use crate::common::{ALL_REMOTE, CAP, Node, device, drain, node_with, qp_init};

const SENDERS: usize = 4;
const MESSAGES: u32 = 3000;
const MSG: usize = 16;
const RECV_DEPTH: u32 = 32;
const DEADLINE: Duration = Duration::from_secs(120);

fn payload(sender: u32, seq: u32) -> [u8; MSG] {
    let mut m = [0u8; MSG];
    m[..4].copy_from_slice(&sender.to_le_bytes());
    m[4..8].copy_from_slice(&seq.to_le_bytes());
    let check = u64::from(sender).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ u64::from(seq);
    m[8..].copy_from_slice(&check.to_le_bytes());
    m
}

fn wr_id(sender: usize, seq: u32) -> u64 {
    ((sender as u64) << 32) | u64::from(seq)
}

#[test]
fn senders_and_pollers_on_shared_cqs() {
    let dev = device();
    let pd = dev.alloc_pd().expect("pd");
    let send_cq = dev.create_cq(&CqInitAttr::new(4096)).expect("send cq");
    let recv_cq = dev.create_cq(&CqInitAttr::new(4096)).expect("recv cq");
    let cap = QpCap {
        max_send_wr: 32,
        max_recv_wr: RECV_DEPTH,
        max_send_sge: 1,
        max_recv_sge: 1,
        max_inline_data: 0,
    };
    let mut senders = Vec::new();
    let mut receivers = Vec::new();
    for _ in 0..SENDERS {
        let mut init = qp_init(&send_cq, QpType::Rc, cap);
        init.recv_cq = Arc::clone(&recv_cq);
        let s = pd.create_qp(&init).expect("sender");
        let r = pd.create_qp(&init).expect("receiver");
        s.connect_rc(r.qp_num(), ALL_REMOTE, 7).expect("s");
        r.connect_rc(s.qp_num(), ALL_REMOTE, 7).expect("r");
        senders.push(s);
        receivers.push(r);
    }
    // Receive buffers: one slot per posted receive.
    let rbuf = Buffer::new(SENDERS * RECV_DEPTH as usize * MSG).expect("buffer");
    let rmr = pd
        .reg_mr(&UserMemory::whole(&rbuf), AccessFlags::LOCAL_WRITE)
        .expect("rmr");
    let slot_recv = |qp_index: usize, slot: u32| {
        let offset = ((qp_index * RECV_DEPTH as usize + slot as usize) * MSG) as u64;
        RecvWr::new(
            wr_id(qp_index, slot),
            vec![rmr.sge(offset, MSG as u32).expect("sge")],
        )
    };
    for (i, r) in receivers.iter().enumerate() {
        let list: Vec<RecvWr> = (0..RECV_DEPTH).map(|s| slot_recv(i, s)).collect();
        r.post_recv(&list).expect("initial receives");
    }
    let total = SENDERS * MESSAGES as usize;
    let failed = AtomicBool::new(false);
    let start = Instant::now();
    thread::scope(|scope| {
        // One thread per sender, posting lists of 1 to 4 requests. Each
        // returns its registered memory, which must outlive its sends: the
        // threads are joined only after every send completed.
        let mut sender_threads = Vec::new();
        for (i, qp) in senders.iter().enumerate() {
            let pd = &pd;
            let failed = &failed;
            sender_threads.push(scope.spawn(move || {
                let sbuf = Buffer::new(MESSAGES as usize * MSG).expect("buffer");
                let smr = pd
                    .reg_mr(&UserMemory::whole(&sbuf), AccessFlags::LOCAL_WRITE)
                    .expect("smr");
                for seq in 0..MESSAGES {
                    sbuf.write(seq as usize * MSG, &payload(i as u32, seq))
                        .expect("payload");
                }
                let mut seq = 0;
                while seq < MESSAGES && !failed.load(Ordering::Relaxed) {
                    let n = (seq % 4 + 1).min(MESSAGES - seq);
                    let list: Vec<SendWr> = (seq..seq + n)
                        .map(|s| {
                            let sge = smr.sge(u64::from(s) * MSG as u64, MSG as u32).expect("sge");
                            SendWr::new(wr_id(i, s), WrOpcode::Send, [sge]).signaled()
                        })
                        .collect();
                    match qp.post_send(&list) {
                        Ok(()) => seq += n,
                        Err(Error::BadWr {
                            index,
                            reason: WrError::QueueFull,
                        }) => {
                            seq += index as u32;
                            thread::yield_now();
                        }
                        Err(e) => panic!("post_send: {e}"),
                    }
                    assert!(start.elapsed() < DEADLINE, "sender {i} stuck");
                }
                (sbuf, smr)
            }));
        }
        // The send-completion poller.
        let send_cq = &send_cq;
        let failed_s = &failed;
        let sends = scope.spawn(move || {
            let mut seen = HashSet::new();
            let mut wc = [WorkCompletion::default(); 32];
            while seen.len() < total {
                let n = send_cq.poll(&mut wc).expect("poll send cq");
                for c in &wc[..n] {
                    assert_eq!(c.status, WcStatus::Success, "{c:?}");
                    assert!(seen.insert(c.wr_id), "send {:#x} completed twice", c.wr_id);
                }
                if start.elapsed() > DEADLINE {
                    failed_s.store(true, Ordering::Relaxed);
                    panic!("only {} of {total} sends completed", seen.len());
                }
            }
            seen.len()
        });
        // The receive poller, which checks each message and re-posts its slot.
        let mut next = [0u32; SENDERS];
        let mut received = 0;
        let mut wc = [WorkCompletion::default(); 32];
        while received < total {
            let n = recv_cq.poll(&mut wc).expect("poll recv cq");
            for c in &wc[..n] {
                assert_eq!(
                    (c.status, c.byte_len),
                    (WcStatus::Success, MSG as u32),
                    "{c:?}"
                );
                let (qp_index, slot) = ((c.wr_id >> 32) as usize, c.wr_id as u32);
                let mut m = [0u8; MSG];
                rbuf.read(
                    (qp_index * RECV_DEPTH as usize + slot as usize) * MSG,
                    &mut m,
                )
                .expect("read");
                let sender = u32::from_le_bytes([m[0], m[1], m[2], m[3]]);
                let seq = u32::from_le_bytes([m[4], m[5], m[6], m[7]]);
                assert_eq!(m, payload(sender, seq), "corrupted message");
                assert_eq!(sender as usize, qp_index, "delivered to the wrong QP");
                assert_eq!(seq, next[qp_index], "out of order or lost");
                next[qp_index] += 1;
                received += 1;
                receivers[qp_index]
                    .post_recv(&[slot_recv(qp_index, slot)])
                    .expect("re-post");
            }
            if start.elapsed() > DEADLINE {
                failed.store(true, Ordering::Relaxed);
                panic!("only {received} of {total} messages arrived");
            }
        }
        assert_eq!(sends.join().expect("send poller"), total);
        for t in sender_threads {
            drop(t.join().expect("sender"));
        }
    });
    assert!(recv_cq.poll(&mut [WorkCompletion::default(); 4]) == Ok(0));
}

#[test]
fn threads_posting_on_one_qp() {
    const THREADS: usize = 4;
    const WRITES: u64 = 2000;
    const SLOT: u64 = 64;
    let dev = device();
    let n = crate::common::node(&dev, QpType::Rc, 64);
    let cq = dev.create_cq(&CqInitAttr::new(8192)).expect("cq");
    let cap = QpCap {
        max_send_wr: 1024,
        ..crate::common::CAP
    };
    let qp = n.pd.create_qp(&qp_init(&cq, QpType::Rc, cap)).expect("qp");
    qp.connect_rc(qp.qp_num(), ALL_REMOTE, 7).expect("loopback");
    let dst = Buffer::new(THREADS * WRITES as usize * SLOT as usize).expect("buffer");
    let dmr =
        n.pd.reg_mr(&UserMemory::whole(&dst), ALL_REMOTE)
            .expect("dst");
    thread::scope(|scope| {
        for t in 0..THREADS as u64 {
            let (qp, n, dmr) = (&qp, &n, &dmr);
            scope.spawn(move || {
                let src = Buffer::try_from(vec![t as u8 + 1; SLOT as usize]).expect("buffer");
                let smr =
                    n.pd.reg_mr(&UserMemory::whole(&src), AccessFlags::LOCAL_WRITE)
                        .expect("src");
                let mut i = 0;
                while i < WRITES {
                    let id = t * WRITES + i;
                    let op = WrOpcode::RdmaWrite {
                        remote_addr: dmr.addr() + id * SLOT,
                        rkey: dmr.rkey(),
                    };
                    let w = SendWr::new(id, op, [smr.sge(0, SLOT as u32).expect("sge")]).signaled();
                    match qp.post_send(&[w]) {
                        Ok(()) => i += 1,
                        Err(Error::BadWr {
                            reason: WrError::QueueFull,
                            ..
                        }) => thread::yield_now(),
                        Err(e) => panic!("{e}"),
                    }
                }
            });
        }
        let mut seen = HashSet::new();
        let mut wc = [WorkCompletion::default(); 64];
        let start = Instant::now();
        while seen.len() < THREADS * WRITES as usize {
            let got = cq.poll(&mut wc).expect("poll");
            for c in &wc[..got] {
                assert_eq!(c.status, WcStatus::Success);
                assert!(seen.insert(c.wr_id), "twice: {}", c.wr_id);
            }
            assert!(start.elapsed() < DEADLINE, "stuck at {}", seen.len());
        }
    });
    let bytes = dst.to_vec();
    for (slot, chunk) in bytes.chunks(SLOT as usize).enumerate() {
        let writer = (slot as u64 / WRITES) as u8 + 1;
        assert!(chunk.iter().all(|b| *b == writer), "slot {slot} corrupted");
    }
}

/// Two QPs write into each other's buffer in post lists while a third
/// thread reads and writes both buffers: the device keeps the buffers of a
/// post list locked across its copies (a burst), and no order of the three
/// may deadlock; every write completes.
#[test]
fn opposite_bursts_and_application_access_do_not_deadlock() {
    let (_dev, a, b) = crate::common::rc_pair(4096);
    let done = AtomicBool::new(false);
    let rounds = 300;
    let writer = |from: &crate::common::Node, to: &crate::common::Node| {
        let op = WrOpcode::RdmaWrite {
            remote_addr: to.mr.addr(),
            rkey: to.mr.rkey(),
        };
        let mut list: Vec<SendWr> = (0..8)
            .map(|i| SendWr::new(i, op.clone(), [from.mr.sge(i * 64, 64).expect("sge")]))
            .collect();
        list[7] = list[7].clone().signaled();
        let start = Instant::now();
        for _ in 0..rounds {
            from.qp.post_send(&list).expect("post");
            let mut wc = [WorkCompletion::default(); 4];
            while from.cq.poll(&mut wc).expect("poll") == 0 {
                assert!(start.elapsed() < DEADLINE, "stuck");
            }
            assert_eq!(wc[0].status, WcStatus::Success);
        }
    };
    thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                a.buf.with_mut(|bytes| bytes[0] = bytes[0].wrapping_add(1));
                let _ = b.buf.to_vec();
            }
        });
        let ab = s.spawn(|| writer(&a, &b));
        writer(&b, &a);
        ab.join().expect("a to b");
        done.store(true, Ordering::Relaxed);
    });
}

/// Before the fix, a peer's post list already delivering into a QP went on
/// writing its receive buffers and completing on its CQ after
/// `destroy_qp` returned (22-36 of ~430 rounds over 30 s). Each round
/// races 32 SENDs of 32 KiB with the destroy of their receiver, then
/// checks that nothing lands after the destroy returned.
#[test]
fn nothing_lands_after_destroy_returns() {
    const MSG: u32 = 32 * 1024;
    const DEPTH: u32 = 32;
    let deadline = Instant::now() + Duration::from_secs(8);
    let mut rounds: u32 = 0;
    while rounds < 400 && Instant::now() < deadline {
        rounds += 1;
        let dev = device();
        let cap = QpCap {
            max_send_wr: DEPTH,
            max_recv_wr: DEPTH,
            ..CAP
        };
        let a = node_with(&dev, QpType::Rc, MSG as usize, cap);
        let b = node_with(&dev, QpType::Rc, (MSG * DEPTH) as usize, cap);
        a.qp.connect_rc(b.qp.qp_num(), ALL_REMOTE, 7)
            .expect("connect");
        b.qp.connect_rc(a.qp.qp_num(), ALL_REMOTE, 7)
            .expect("connect");
        a.buf.write(0, &vec![0x5a; MSG as usize]).expect("fill");
        let recvs: Vec<RecvWr> = (0..DEPTH)
            .map(|i| {
                RecvWr::new(
                    u64::from(i),
                    [b.mr.sge(u64::from(i * MSG), MSG).expect("sge")],
                )
            })
            .collect();
        b.qp.post_recv(&recvs).expect("recvs");
        let sends: Vec<SendWr> = (0..DEPTH)
            .map(|i| {
                SendWr::new(
                    u64::from(i),
                    WrOpcode::Send,
                    [a.mr.sge(0, MSG).expect("sge")],
                )
            })
            .collect();
        let (recv_cq, recv_buf) = (Arc::clone(&b.cq), b.buf.clone());
        let Node { qp, mr, pd, .. } = b;
        let start = Barrier::new(2);
        thread::scope(|s| {
            let sender = s.spawn(|| {
                start.wait();
                a.qp.post_send(&sends)
            });
            start.wait();
            // Sweep the destroy across the post list's delivery.
            let delay = Instant::now() + Duration::from_micros(u64::from(rounds % 64) * 20);
            while Instant::now() < delay {
                std::hint::spin_loop();
            }
            qp.destroy().expect("destroy");
            // What landed before the destroy returned, and nothing after.
            let completed = drain(&recv_cq).len();
            let bytes = recv_buf.to_vec();
            sender.join().expect("sender").expect("posted");
            assert_eq!(
                drain(&recv_cq).len(),
                0,
                "a completion after destroy (round {rounds}, {completed} before)"
            );
            assert!(
                recv_buf.to_vec() == bytes,
                "bytes written after destroy (round {rounds})"
            );
        });
        drop((mr, pd));
    }
    assert!(rounds > 0);
}
