//! Completion queues: overrun, notification, resize and peek.

use std::time::Duration;

use ibops::prelude::*;
use ibops_soft::Limits;

use crate::common::{ALL_REMOTE, CAP, device, drain, qp_init, rdma_write, wr};

/// A loopback RC QP whose completions go to a CQ of `cqe` entries with `channel`.
fn looped(cqe: u32, channel: Option<CompletionChannel>) -> (crate::common::Node, Arc<Cq>) {
    let dev = device();
    let node = crate::common::node(&dev, QpType::Rc, 64);
    let cq = dev
        .create_cq(&CqInitAttr {
            cqe,
            channel,
            ..CqInitAttr::default()
        })
        .expect("cq");
    let qp = node
        .pd
        .create_qp(&qp_init(&cq, QpType::Rc, CAP))
        .expect("qp");
    qp.connect_rc(qp.qp_num(), ALL_REMOTE, 7).expect("loopback");
    let node = crate::common::Node { qp, ..node };
    (node, cq)
}

#[test]
fn an_overrun_loses_the_completion_errors_the_qp_and_is_reported() {
    let (n, cq) = looped(2, None);
    let list: Vec<SendWr> = (0..3)
        .map(|i| wr(&n, i, rdma_write(&n, 32), 0, 8))
        .collect();
    n.qp.post_send(&list).expect("posted");
    let mut wc = [WorkCompletion::default(); 8];
    assert_eq!(cq.poll(&mut wc), Ok(2));
    assert_eq!(n.qp.state(), Ok(QpState::Err));
    assert_eq!(
        cq.poll(&mut wc),
        Err(Error::InvalidState("completion queue overrun"))
    );
}

#[test]
fn next_completion_notification_fires_once_per_arm() {
    let channel = CompletionChannel::new();
    let (n, cq) = looped(16, Some(channel.clone()));
    let post = |id| {
        n.qp.post_send(&[wr(&n, id, rdma_write(&n, 32), 0, 8)])
            .expect("post")
    };
    post(1);
    assert!(!channel.try_get_event(), "not armed yet");
    assert_eq!(cq.req_notify(CqNotifyFlags::NEXT_COMP), Ok(false));
    post(2);
    assert!(channel.get_event(Duration::from_secs(1)));
    post(3);
    assert!(!channel.try_get_event(), "fires once per arm");
    assert_eq!(
        cq.req_notify(CqNotifyFlags::NEXT_COMP | CqNotifyFlags::REPORT_MISSED_EVENTS),
        Ok(true),
        "completions are waiting"
    );
    assert_eq!(drain(&cq).len(), 3);
}

#[test]
fn solicited_notification_waits_for_a_solicited_completion() {
    let channel = CompletionChannel::new();
    let dev = device();
    let a = crate::common::node(&dev, QpType::Rc, 64);
    let b = crate::common::node(&dev, QpType::Rc, 64);
    let recv_cq = dev
        .create_cq(&CqInitAttr {
            cqe: 16,
            channel: Some(channel.clone()),
            ..CqInitAttr::default()
        })
        .expect("cq");
    let mut init = qp_init(&b.cq, QpType::Rc, CAP);
    init.recv_cq = Arc::clone(&recv_cq);
    let bq = b.pd.create_qp(&init).expect("qp");
    a.qp.connect_rc(bq.qp_num(), ALL_REMOTE, 7).expect("a");
    bq.connect_rc(a.qp.qp_num(), ALL_REMOTE, 7).expect("b");
    bq.post_recv(&[
        crate::common::recv(&b, 1, 0, 8),
        crate::common::recv(&b, 2, 0, 8),
    ])
    .expect("recv");
    recv_cq.req_notify(CqNotifyFlags::SOLICITED).expect("arm");
    a.qp.post_send(&[wr(&a, 1, WrOpcode::Send, 0, 8)])
        .expect("plain send");
    assert!(!channel.try_get_event());
    let mut solicited = wr(&a, 2, WrOpcode::Send, 0, 8);
    solicited.send_flags |= SendFlags::SOLICITED;
    a.qp.post_send(&[solicited]).expect("solicited send");
    assert!(channel.try_get_event());
    assert!(cq_rejects_unarmed(&recv_cq));
}

fn cq_rejects_unarmed(cq: &Cq) -> bool {
    matches!(
        cq.req_notify(CqNotifyFlags::empty()),
        Err(Error::InvalidArgument(_))
    )
}

#[test]
fn resize_keeps_completions_and_refuses_to_drop_them() {
    let (n, cq) = looped(4, None);
    let list: Vec<SendWr> = (0..3)
        .map(|i| wr(&n, i, rdma_write(&n, 32), 0, 8))
        .collect();
    n.qp.post_send(&list).expect("posted");
    assert!(matches!(cq.resize(2), Err(Error::InvalidArgument(_))));
    assert!(matches!(
        cq.resize(Limits::DEFAULT.max_cqe + 1),
        Err(Error::LimitExceeded { .. })
    ));
    assert_eq!(cq.resize(64), Ok(64));
    assert_eq!(cq.peek(10), Ok(3));
    assert_eq!(cq.peek(2), Ok(2));
    let ids: Vec<u64> = drain(&cq).iter().map(|c| c.wr_id).collect();
    assert_eq!(ids, [0, 1, 2]);
}
