//! Shared receive queues.

use ibops::prelude::*;
use ibops_soft::Limits;

use crate::common::{ALL_REMOTE, CAP, device, drain, node, one, qp_init, recv, wr};

fn srq_attr(max_wr: u32) -> SrqInitAttr {
    SrqInitAttr {
        attr: SrqAttr {
            max_wr,
            max_sge: 2,
            srq_limit: 0,
        },
    }
}

#[test]
fn two_qps_take_receives_from_one_srq() {
    let dev = device();
    let server = node(&dev, QpType::Rc, 256);
    let srq = server.pd.create_srq(&srq_attr(8)).expect("srq");
    let mut init = qp_init(&server.cq, QpType::Rc, CAP);
    init.srq = Some(Arc::clone(&srq));
    let s1 = server.pd.create_qp(&init).expect("qp 1");
    let s2 = server.pd.create_qp(&init).expect("qp 2");
    let c1 = node(&dev, QpType::Rc, 64);
    let c2 = node(&dev, QpType::Rc, 64);
    for (s, c) in [(&s1, &c1), (&s2, &c2)] {
        s.connect_rc(c.qp.qp_num(), ALL_REMOTE, 7).expect("server");
        c.qp.connect_rc(s.qp_num(), ALL_REMOTE, 7).expect("client");
    }
    srq.post_recv(&[recv(&server, 1, 0, 64), recv(&server, 2, 64, 64)])
        .expect("srq recv");
    c1.qp
        .post_send(&[wr(&c1, 10, WrOpcode::Send, 0, 8)])
        .expect("c1");
    c2.qp
        .post_send(&[wr(&c2, 20, WrOpcode::Send, 0, 8)])
        .expect("c2");
    let got: Vec<(u64, u32)> = drain(&server.cq)
        .iter()
        .map(|c| (c.wr_id, c.qp_num))
        .collect();
    assert_eq!(got, [(1, s1.qp_num()), (2, s2.qp_num())]);
    assert!(matches!(
        s1.post_recv(&[recv(&server, 3, 0, 8)]),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(one(&c1.cq).status, WcStatus::Success);
}

#[test]
fn srq_limits_modify_and_query() {
    let dev = device();
    let n = node(&dev, QpType::Rc, 64);
    assert!(matches!(
        n.pd.create_srq(&srq_attr(Limits::DEFAULT.max_srq_wr + 1)),
        Err(Error::LimitExceeded {
            what: "max_srq_wr",
            ..
        })
    ));
    let srq = n.pd.create_srq(&srq_attr(2)).expect("srq");
    let list: Vec<RecvWr> = (0..3).map(|i| recv(&n, i, 0, 8)).collect();
    assert_eq!(
        srq.post_recv(&list),
        Err(Error::BadWr {
            index: 2,
            reason: WrError::QueueFull
        })
    );
    assert!(
        srq.modify(
            &SrqAttr {
                max_wr: 1,
                ..SrqAttr::default()
            },
            SrqAttrMask::MAX_WR
        )
        .is_err()
    );
    srq.modify(
        &SrqAttr {
            max_wr: 4,
            srq_limit: 1,
            ..SrqAttr::default()
        },
        SrqAttrMask::MAX_WR | SrqAttrMask::LIMIT,
    )
    .expect("grow");
    assert_eq!(
        srq.query(),
        Ok(SrqAttr {
            max_wr: 4,
            max_sge: 2,
            srq_limit: 1
        })
    );
    srq.post_recv(&list[2..]).expect("room now");
}
