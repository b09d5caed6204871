//! Asynchronous events: port state changes, CQ overruns (CQ error and QP
//! fatal), the SRQ limit, the last WQE of a QP on an SRQ; handlers that
//! call verbs; and a responder's error flushing its own pending sends
//! before the post that caused it returns.

use std::sync::Mutex;

use ibops::prelude::*;
use ibops_soft::set_port_active;

use crate::common::{ALL_REMOTE, CAP, device, drain, node, qp_init, rc_pair, recv, wr};

/// Records every event `dev` dispatches; unregisters on drop, so that a
/// handler holding objects does not keep them (and the device) alive.
struct Recorder {
    dev: Device,
    id: EventHandlerId,
    seen: Arc<Mutex<Vec<AsyncEvent>>>,
}

impl Recorder {
    fn on(dev: &Device) -> Recorder {
        Recorder::with(dev, |_| {})
    }

    /// Records, then runs `also` in the handler.
    fn with(dev: &Device, also: impl Fn(&AsyncEvent) + Send + Sync + 'static) -> Recorder {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let id = dev.register_event_handler(move |event| {
            log.lock().expect("log").push(*event);
            also(event);
        });
        Recorder {
            dev: dev.clone(),
            id,
            seen,
        }
    }

    fn take(&self) -> Vec<AsyncEvent> {
        core::mem::take(&mut *self.seen.lock().expect("log"))
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.dev.unregister_event_handler(self.id);
    }
}

#[test]
fn a_port_going_down_and_up_raises_events_and_stops_traffic() {
    let (dev, a, b) = rc_pair(64);
    let events = Recorder::on(&dev);
    set_port_active(&dev, false).expect("down");
    set_port_active(&dev, false).expect("down again: no change, no event");
    assert_eq!(events.take(), [AsyncEvent::PortErr { port_num: 1 }]);
    let port = dev.query_port(1).expect("port");
    assert_eq!(port.state, PortState::Down);
    b.qp.post_recv(&[recv(&b, 1, 0, 8)]).expect("recv");
    a.qp.post_send(&[wr(&a, 7, WrOpcode::Send, 0, 8)])
        .expect("post");
    let wc = drain(&a.cq);
    assert_eq!(wc[0].status, WcStatus::RetryExcErr, "{wc:?}");
    set_port_active(&dev, true).expect("up");
    assert_eq!(events.take(), [AsyncEvent::PortActive { port_num: 1 }]);
    assert_eq!(dev.query_port(1).expect("port").state, PortState::Active);
}

#[test]
fn a_cq_overrun_raises_cq_error_and_qp_fatal_once() {
    let dev = device();
    let events = Recorder::on(&dev);
    let pd = dev.alloc_pd().expect("pd");
    let small = dev.create_cq(&CqInitAttr::new(1)).expect("cq");
    let qp = pd.create_qp(&qp_init(&small, QpType::Rc, CAP)).expect("qp");
    let peer = node(&dev, QpType::Rc, 64);
    qp.connect_rc(peer.qp.qp_num(), ALL_REMOTE, 7).expect("a");
    peer.qp.connect_rc(qp.qp_num(), ALL_REMOTE, 7).expect("b");
    let buf = Buffer::new(64).expect("buffer");
    let mr = pd.reg_mr(&UserMemory::whole(&buf), ALL_REMOTE).expect("mr");
    let write = |id| {
        let op = WrOpcode::RdmaWrite {
            remote_addr: peer.mr.addr(),
            rkey: peer.mr.rkey(),
        };
        SendWr::new(id, op, [mr.sge(0, 8).expect("sge")]).signaled()
    };
    qp.post_send(&[write(1), write(2), write(3)])
        .expect("posted");
    let cq_num = small.num().expect("the soft device numbers its CQs");
    assert_eq!(
        events.take(),
        [
            AsyncEvent::CqErr { cq_num },
            AsyncEvent::QpFatal {
                qp_num: qp.qp_num()
            }
        ]
    );
    assert_eq!(qp.state().expect("state"), QpState::Err);
}

fn srq_init(max_wr: u32, srq_limit: u32) -> SrqInitAttr {
    SrqInitAttr {
        attr: SrqAttr {
            max_wr,
            max_sge: 1,
            srq_limit,
        },
    }
}

#[test]
fn the_srq_limit_fires_once_below_it_and_a_handler_may_rearm_it() {
    let dev = device();
    let server = node(&dev, QpType::Rc, 256);
    let srq = server.pd.create_srq(&srq_init(8, 3)).expect("srq");
    let srq_num = srq.num().expect("the soft device numbers its SRQs");
    let mut init = qp_init(&server.cq, QpType::Rc, CAP);
    init.srq = Some(Arc::clone(&srq));
    let s = server.pd.create_qp(&init).expect("qp");
    let c = node(&dev, QpType::Rc, 64);
    s.connect_rc(c.qp.qp_num(), ALL_REMOTE, 7).expect("server");
    c.qp.connect_rc(s.qp_num(), ALL_REMOTE, 7).expect("client");
    // The handler re-arms the limit at 2: it calls a verb of the device.
    let weak = Arc::downgrade(&srq);
    let events = Recorder::with(&dev, move |event| {
        if let (AsyncEvent::SrqLimitReached { .. }, Some(srq)) = (event, weak.upgrade()) {
            let attr = SrqAttr {
                srq_limit: 2,
                ..SrqAttr::default()
            };
            srq.modify(&attr, SrqAttrMask::LIMIT).expect("re-arm");
        }
    });
    let receives: Vec<_> = (0..4).map(|i| recv(&server, i, i * 8, 8)).collect();
    srq.post_recv(&receives).expect("srq recv");
    let send = |id| {
        c.qp.post_send(&[wr(&c, id, WrOpcode::Send, 0, 8)])
            .expect("send")
    };
    send(10); // 3 left: not below 3
    assert_eq!(events.take(), []);
    send(11); // 2 left: below 3, fires, re-armed at 2
    assert_eq!(events.take(), [AsyncEvent::SrqLimitReached { srq_num }]);
    assert_eq!(srq.query().expect("query").srq_limit, 2);
    send(12); // 1 left: below 2, fires, re-armed at 2 again
    assert_eq!(events.take(), [AsyncEvent::SrqLimitReached { srq_num }]);
    drop(events);
    send(13); // 0 left: below 2 with no handler: disarmed
    assert_eq!(srq.query().expect("query").srq_limit, 0);
    assert_eq!(drain(&server.cq).len(), 4);
}

#[test]
fn a_qp_on_an_srq_entering_error_reports_its_last_wqe() {
    let dev = device();
    let events = Recorder::on(&dev);
    let server = node(&dev, QpType::Rc, 64);
    let srq = server.pd.create_srq(&srq_init(4, 0)).expect("srq");
    let mut init = qp_init(&server.cq, QpType::Rc, CAP);
    init.srq = Some(Arc::clone(&srq));
    let s = server.pd.create_qp(&init).expect("qp");
    s.connect_rc(server.qp.qp_num(), ALL_REMOTE, 7)
        .expect("connect");
    let err = QpAttr {
        qp_state: QpState::Err,
        ..QpAttr::default()
    };
    s.modify(&err, QpAttrMask::STATE).expect("to ERR");
    s.modify(&err, QpAttrMask::STATE).expect("ERR again");
    let qp_num = s.qp_num();
    assert_eq!(events.take(), [AsyncEvent::QpLastWqeReached { qp_num }]);
    // A QP with its own receive queue has no such event.
    server.qp.modify(&err, QpAttrMask::STATE).expect("to ERR");
    assert_eq!(events.take(), []);
}

/// Before: a responder's error left its pending sends waiting until its own
/// next post or modify.
#[test]
fn a_responder_error_flushes_its_pending_sends_before_the_post_returns() {
    let (_dev, a, b) = rc_pair(64);
    // b's SEND waits for a receive at a (rnr_retry 7).
    b.qp.post_send(&[wr(&b, 20, WrOpcode::Send, 0, 8)])
        .expect("b waits");
    assert_eq!(drain(&b.cq), []);
    // a's 16-byte SEND into b's 8-byte receive: b fails as responder.
    b.qp.post_recv(&[recv(&b, 1, 0, 8)]).expect("recv");
    a.qp.post_send(&[wr(&a, 10, WrOpcode::Send, 0, 16)])
        .expect("post");
    let at_b: Vec<_> = drain(&b.cq).iter().map(|c| (c.wr_id, c.status)).collect();
    assert_eq!(
        at_b,
        [(1, WcStatus::LocLenErr), (20, WcStatus::WrFlushErr)],
        "the pending send is flushed by the time a's post returns"
    );
    assert_eq!(drain(&a.cq)[0].status, WcStatus::RemInvReqErr);
}
