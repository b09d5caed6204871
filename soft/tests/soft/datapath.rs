//! Every operation of the data path, with the data checked byte for byte.

use ibops::prelude::*;

use crate::common::{
    ALL_REMOTE, CAP, device, drain, node, one, qp_init, rc_pair, rdma_read, rdma_write, recv, wr,
};

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn send_and_receive() {
    let (_dev, a, b) = rc_pair(4096);
    let data = pattern(1000, 1);
    a.buf.write(0, &data).expect("write");
    b.qp.post_recv(&[recv(&b, 10, 96, 2000)]).expect("recv");
    a.qp.post_send(&[wr(&a, 20, WrOpcode::Send, 0, 1000)])
        .expect("send");
    let s = one(&a.cq);
    assert_eq!(
        (s.wr_id, s.status, s.opcode, s.qp_num),
        (20, WcStatus::Success, WcOpcode::Send, a.qp.qp_num())
    );
    let r = one(&b.cq);
    assert_eq!(
        (r.wr_id, r.status, r.opcode, r.byte_len),
        (10, WcStatus::Success, WcOpcode::Recv, 1000)
    );
    assert_eq!((r.src_qp, r.qp_num), (a.qp.qp_num(), b.qp.qp_num()));
    assert!(!r.wc_flags.contains(WcFlags::WITH_IMM));
    let mut got = vec![0; 1000];
    b.buf.read(96, &mut got).expect("read");
    assert_eq!(got, data);
}

#[test]
fn scatter_gather_across_several_sges() {
    let (_dev, a, b) = rc_pair(4096);
    let data = pattern(300, 7);
    a.buf.write(0, &data[..100]).expect("w");
    a.buf.write(1000, &data[100..250]).expect("w");
    a.buf.write(2000, &data[250..]).expect("w");
    let gather = vec![
        a.mr.sge(0, 100).expect("sge"),
        a.mr.sge(1000, 150).expect("sge"),
        a.mr.sge(2000, 50).expect("sge"),
    ];
    let scatter = vec![
        b.mr.sge(500, 120).expect("sge"),
        b.mr.sge(3000, 180).expect("sge"),
    ];
    b.qp.post_recv(&[RecvWr::new(1, scatter)]).expect("recv");
    a.qp.post_send(&[SendWr::new(2, WrOpcode::Send, gather).signaled()])
        .expect("send");
    assert_eq!(one(&b.cq).byte_len, 300);
    let mut got = vec![0; 300];
    b.buf.read(500, &mut got[..120]).expect("r");
    b.buf.read(3000, &mut got[120..]).expect("r");
    assert_eq!(got, data);
}

#[test]
fn send_with_immediate() {
    let (_dev, a, b) = rc_pair(64);
    b.qp.post_recv(&[recv(&b, 1, 0, 64)]).expect("recv");
    a.qp.post_send(&[wr(
        &a,
        2,
        WrOpcode::SendWithImm {
            imm_data: 0xdead_beef,
        },
        0,
        4,
    )])
    .expect("send");
    let r = one(&b.cq);
    assert!(r.wc_flags.contains(WcFlags::WITH_IMM));
    assert_eq!((r.imm_data, r.byte_len), (0xdead_beef, 4));
}

#[test]
fn rdma_write_moves_data_without_a_receive() {
    let (_dev, a, b) = rc_pair(8192);
    let data = pattern(5000, 3);
    a.buf.write(0, &data).expect("write");
    a.qp.post_send(&[wr(&a, 5, rdma_write(&b, 100), 0, 5000)])
        .expect("write");
    let c = one(&a.cq);
    assert_eq!(
        (c.status, c.opcode, c.byte_len),
        (WcStatus::Success, WcOpcode::RdmaWrite, 5000)
    );
    assert!(drain(&b.cq).is_empty(), "a plain WRITE consumes no receive");
    let mut got = vec![0; 5000];
    b.buf.read(100, &mut got).expect("read");
    assert_eq!(got, data);
}

#[test]
fn rdma_write_with_immediate_consumes_a_receive() {
    let (_dev, a, b) = rc_pair(256);
    a.buf.write(0, b"imm write").expect("write");
    b.qp.post_recv(&[RecvWr::new(9, [])])
        .expect("zero-length receive");
    let op = WrOpcode::RdmaWriteWithImm {
        remote_addr: b.mr.addr() + 16,
        rkey: b.mr.rkey(),
        imm_data: 77,
    };
    a.qp.post_send(&[wr(&a, 1, op, 0, 9)]).expect("write imm");
    let r = one(&b.cq);
    assert_eq!(
        (r.wr_id, r.opcode, r.imm_data, r.byte_len),
        (9, WcOpcode::RecvRdmaWithImm, 77, 9)
    );
    let mut got = [0u8; 9];
    b.buf.read(16, &mut got).expect("read");
    assert_eq!(&got, b"imm write");
}

#[test]
fn rdma_read_fetches_remote_data() {
    let (_dev, a, b) = rc_pair(4096);
    let data = pattern(2048, 9);
    b.buf.write(1024, &data).expect("write");
    a.qp.post_send(&[wr(&a, 3, rdma_read(&b, 1024), 0, 2048)])
        .expect("read");
    let c = one(&a.cq);
    assert_eq!(
        (c.status, c.opcode),
        (WcStatus::Success, WcOpcode::RdmaRead)
    );
    let mut got = vec![0; 2048];
    a.buf.read(0, &mut got).expect("read back");
    assert_eq!(got, data);
}

#[test]
fn compare_and_swap_and_fetch_and_add() {
    let (_dev, a, b) = rc_pair(64);
    b.buf.write(8, &10u64.to_ne_bytes()).expect("init");
    let target = |rkey_node: &crate::common::Node| (rkey_node.mr.addr() + 8, rkey_node.mr.rkey());
    let (remote_addr, rkey) = target(&b);
    let cas = |compare_add, swap| WrOpcode::AtomicCmpAndSwp {
        remote_addr,
        rkey,
        compare_add,
        swap,
    };
    let faa = WrOpcode::AtomicFetchAndAdd {
        remote_addr,
        rkey,
        compare_add: 5,
    };
    let old = |a: &crate::common::Node| {
        let mut v = [0u8; 8];
        a.buf.read(0, &mut v).expect("read");
        u64::from_ne_bytes(v)
    };
    let remote = || {
        let mut v = [0u8; 8];
        b.buf.read(8, &mut v).expect("read");
        u64::from_ne_bytes(v)
    };
    a.qp.post_send(&[wr(&a, 1, cas(99, 1), 0, 8)])
        .expect("cas miss");
    assert_eq!(one(&a.cq).opcode, WcOpcode::CompSwap);
    assert_eq!((old(&a), remote()), (10, 10), "no swap when different");
    a.qp.post_send(&[wr(&a, 2, cas(10, 42), 0, 8)])
        .expect("cas hit");
    assert_eq!(one(&a.cq).status, WcStatus::Success);
    assert_eq!((old(&a), remote()), (10, 42));
    a.qp.post_send(&[wr(&a, 3, faa, 0, 8)]).expect("faa");
    assert_eq!(one(&a.cq).opcode, WcOpcode::FetchAdd);
    assert_eq!((old(&a), remote()), (42, 47));
}

#[test]
fn zero_length_operations() {
    let (_dev, a, b) = rc_pair(64);
    b.qp.post_recv(&[recv(&b, 1, 0, 64)]).expect("recv");
    a.qp.post_send(&[SendWr::new(2, WrOpcode::Send, []).signaled()])
        .expect("empty send");
    assert_eq!(one(&b.cq).byte_len, 0);
    // A zero-length WRITE names no memory, so its rkey is not checked.
    let op = WrOpcode::RdmaWrite {
        remote_addr: 0,
        rkey: 0xdead,
    };
    a.qp.post_send(&[SendWr::new(3, op, []).signaled()])
        .expect("empty write");
    let c = drain(&a.cq);
    assert!(c.iter().all(|c| c.status == WcStatus::Success), "{c:?}");
    assert_eq!(c.len(), 2);
}

#[test]
fn unsignaled_requests_complete_silently() {
    let (_dev, a, b) = rc_pair(64);
    let ops = [
        SendWr::new(1, rdma_write(&b, 0), [a.mr.sge(0, 8).expect("sge")]),
        SendWr::new(2, rdma_write(&b, 8), [a.mr.sge(0, 8).expect("sge")]),
        SendWr::new(3, rdma_write(&b, 16), [a.mr.sge(0, 8).expect("sge")]).signaled(),
    ];
    a.qp.post_send(&ops).expect("post list");
    let c = drain(&a.cq);
    assert_eq!(c.iter().map(|c| c.wr_id).collect::<Vec<_>>(), [3]);
}

#[test]
fn sq_sig_all_signals_every_request() {
    let dev = device();
    let a = node(&dev, QpType::Rc, 64);
    let mut init = qp_init(&a.cq, QpType::Rc, CAP);
    init.sq_sig_all = true;
    let qp = a.pd.create_qp(&init).expect("qp");
    qp.connect_rc(qp.qp_num(), ALL_REMOTE, 7).expect("loopback");
    let w = SendWr::new(1, rdma_write(&a, 32), [a.mr.sge(0, 8).expect("sge")]);
    qp.post_send(&[w.clone(), w]).expect("post");
    assert_eq!(drain(&a.cq).len(), 2);
}

#[test]
fn a_post_list_executes_in_order() {
    let (_dev, a, b) = rc_pair(1024);
    let recvs: Vec<RecvWr> = (0..8).map(|i| recv(&b, i, i * 64, 64)).collect();
    b.qp.post_recv(&recvs).expect("recvs");
    for i in 0..8u8 {
        a.buf.write(usize::from(i) * 8, &[i; 8]).expect("w");
    }
    let sends: Vec<SendWr> = (0..8)
        .map(|i| wr(&a, 100 + i, WrOpcode::Send, i * 8, 8))
        .collect();
    a.qp.post_send(&sends).expect("sends");
    let s: Vec<u64> = drain(&a.cq).iter().map(|c| c.wr_id).collect();
    assert_eq!(s, (100..108).collect::<Vec<_>>());
    let r: Vec<u64> = drain(&b.cq).iter().map(|c| c.wr_id).collect();
    assert_eq!(r, (0..8).collect::<Vec<_>>());
    for i in 0..8u8 {
        let mut got = [0u8; 8];
        b.buf.read(usize::from(i) * 64, &mut got).expect("r");
        assert_eq!(got, [i; 8]);
    }
}

#[test]
fn a_send_waits_for_a_receive_with_infinite_rnr_retry() {
    let (_dev, a, b) = rc_pair(64);
    a.buf.write(0, b"early").expect("w");
    a.qp.post_send(&[
        wr(&a, 1, WrOpcode::Send, 0, 5),
        wr(&a, 2, rdma_write(&b, 32), 0, 5),
    ])
    .expect("posted before any receive");
    assert!(drain(&a.cq).is_empty(), "waiting for a receive");
    b.qp.post_recv(&[recv(&b, 3, 0, 16)]).expect("recv");
    let c: Vec<u64> = drain(&a.cq).iter().map(|c| c.wr_id).collect();
    assert_eq!(c, [1, 2], "the SEND and the WRITE behind it, in order");
    assert_eq!(one(&b.cq).byte_len, 5);
}

#[test]
fn inline_data_within_the_limit() {
    let (_dev, a, b) = rc_pair(256);
    let mut w = wr(&a, 1, rdma_write(&b, 0), 0, 64);
    w.send_flags |= SendFlags::INLINE;
    a.qp.post_send(&[w]).expect("64 bytes inline");
    assert_eq!(one(&a.cq).status, WcStatus::Success);
    let mut w = wr(&a, 2, rdma_write(&b, 0), 0, 65);
    w.send_flags |= SendFlags::INLINE;
    assert_eq!(
        a.qp.post_send(&[w]),
        Err(Error::BadWr {
            index: 0,
            reason: WrError::InvalidField
        })
    );
}

#[test]
fn receives_taken_ahead_for_a_post_list_are_kept_in_order() {
    let (_dev, a, b) = rc_pair(256);
    let recvs: Vec<RecvWr> = (1..=4).map(|i| recv(&b, i, i * 32, 32)).collect();
    b.qp.post_recv(&recvs).expect("recvs");
    // One SEND followed by WRITEs: receives taken for the whole list and not
    // used go back to the front of the queue.
    let list = [
        wr(&a, 10, WrOpcode::Send, 0, 8),
        wr(&a, 11, rdma_write(&b, 200), 0, 8),
        wr(&a, 12, rdma_write(&b, 208), 0, 8),
    ];
    a.qp.post_send(&list).expect("list");
    a.qp.post_send(&[wr(&a, 13, WrOpcode::Send, 0, 8)])
        .expect("send");
    let ids: Vec<u64> = drain(&b.cq).iter().map(|c| c.wr_id).collect();
    assert_eq!(ids, [1, 2]);
    b.qp.post_recv(&[recv(&b, 5, 0, 32)]).expect("recv");
    let sends: Vec<SendWr> = (14..17).map(|i| wr(&a, i, WrOpcode::Send, 0, 8)).collect();
    a.qp.post_send(&sends).expect("three sends");
    let ids: Vec<u64> = drain(&b.cq).iter().map(|c| c.wr_id).collect();
    assert_eq!(ids, [3, 4, 5]);
}

/// Before: a waiting inline SEND read its buffer when it executed, so the
/// application's reuse of the buffer after `post_send` changed the message.
#[test]
fn inline_data_is_copied_at_post_time() {
    let (_dev, a, b) = rc_pair(64);
    a.buf.write(0, b"original").expect("write");
    let mut send = wr(&a, 1, WrOpcode::Send, 0, 8);
    send.send_flags |= SendFlags::INLINE;
    // No receive at b yet: the SEND waits (rnr_retry 7).
    a.qp.post_send(&[send]).expect("post");
    a.buf
        .write(0, b"reused!!")
        .expect("reuse the buffer at once");
    b.qp.post_recv(&[recv(&b, 2, 0, 8)]).expect("recv");
    assert_eq!(one(&b.cq).status, WcStatus::Success);
    assert_eq!(&b.buf.to_vec()[..8], b"original");
    assert_eq!(one(&a.cq).status, WcStatus::Success);
}

#[test]
fn a_waiting_request_without_inline_reads_its_buffer_when_it_executes() {
    let (_dev, a, b) = rc_pair(64);
    a.buf.write(0, b"original").expect("write");
    a.qp.post_send(&[wr(&a, 1, WrOpcode::Send, 0, 8)])
        .expect("post");
    a.buf.write(0, b"changed!").expect("write while it waits");
    b.qp.post_recv(&[recv(&b, 2, 0, 8)]).expect("recv");
    assert_eq!(one(&b.cq).status, WcStatus::Success);
    assert_eq!(&b.buf.to_vec()[..8], b"changed!", "DMA reads at execution");
}
