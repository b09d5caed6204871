//! UD datagrams: the GRH reservation, the MTU, and what UD drops.

use ibops::prelude::*;

use crate::common::{Node, device, drain, node, one, recv, wr};

const QKEY: u32 = 0x1111_2222;

fn ud_pair() -> (Device, Node, Node, Arc<Ah>) {
    let dev = device();
    let a = node(&dev, QpType::Ud, 8192);
    let b = node(&dev, QpType::Ud, 8192);
    a.qp.activate_ud(QKEY).expect("a");
    b.qp.activate_ud(QKEY).expect("b");
    let ah =
        a.pd.create_ah(&AhAttr {
            port_num: 1,
            dlid: 1,
            grh: Some(GlobalRoute {
                dgid: dev.query_gid(1, 0).expect("gid"),
                ..GlobalRoute::default()
            }),
            ..AhAttr::default()
        })
        .expect("ah");
    (dev, a, b, ah)
}

fn datagram(to: &Node, ah: &Arc<Ah>, qkey: u32) -> WrOpcode {
    WrOpcode::UdSend {
        ah: Arc::clone(ah),
        remote_qpn: to.qp.qp_num(),
        remote_qkey: qkey,
        imm_data: Some(5),
    }
}

#[test]
fn a_datagram_lands_after_the_grh() {
    let (_dev, a, b, ah) = ud_pair();
    a.buf.write(0, b"datagram").expect("w");
    b.qp.post_recv(&[recv(&b, 1, 0, 256)]).expect("recv");
    a.qp.post_send(&[wr(&a, 2, datagram(&b, &ah, QKEY), 0, 8)])
        .expect("send");
    assert_eq!(one(&a.cq).status, WcStatus::Success);
    let r = one(&b.cq);
    assert_eq!((r.byte_len, r.src_qp, r.imm_data), (48, a.qp.qp_num(), 5));
    assert!(r.wc_flags.contains(WcFlags::GRH | WcFlags::WITH_IMM));
    let mut got = [0u8; 8];
    b.buf.read(40, &mut got).expect("r");
    assert_eq!(&got, b"datagram");
}

#[test]
fn a_datagram_above_the_mtu_is_a_local_length_error() {
    let (_dev, a, b, ah) = ud_pair();
    b.qp.post_recv(&[recv(&b, 1, 0, 8192)]).expect("recv");
    a.qp.post_send(&[wr(&a, 2, datagram(&b, &ah, QKEY), 0, 4097)])
        .expect("send");
    assert_eq!(one(&a.cq).status, WcStatus::LocLenErr);
}

#[test]
fn ud_drops_a_wrong_qkey_and_a_missing_receive() {
    let (_dev, a, b, ah) = ud_pair();
    a.qp.post_send(&[wr(&a, 1, datagram(&b, &ah, QKEY), 0, 8)])
        .expect("no receive posted");
    b.qp.post_recv(&[recv(&b, 9, 0, 256)]).expect("recv");
    a.qp.post_send(&[wr(&a, 2, datagram(&b, &ah, QKEY + 1), 0, 8)])
        .expect("wrong qkey");
    let sent: Vec<WcStatus> = drain(&a.cq).iter().map(|c| c.status).collect();
    assert_eq!(
        sent,
        [WcStatus::Success, WcStatus::Success],
        "UD is unreliable"
    );
    assert!(
        drain(&b.cq).is_empty(),
        "both dropped; the receive is still posted"
    );
}

#[test]
fn a_receive_without_room_for_the_grh_fails_at_the_receiver() {
    let (_dev, a, b, ah) = ud_pair();
    b.qp.post_recv(&[recv(&b, 1, 0, 40)]).expect("recv");
    a.qp.post_send(&[wr(&a, 2, datagram(&b, &ah, QKEY), 0, 8)])
        .expect("send");
    assert_eq!(one(&a.cq).status, WcStatus::Success);
    assert_eq!(one(&b.cq).status, WcStatus::LocLenErr);
}

/// Before the check, both datagrams below were delivered.
#[test]
fn an_address_handle_of_another_pd_or_device_is_refused() {
    let (_dev, a, b, _ah) = ud_pair();
    let attr = AhAttr {
        port_num: 1,
        dlid: 1,
        ..AhAttr::default()
    };
    let other_pd = b.pd.create_ah(&attr).expect("ah of b's pd");
    let other_dev = device();
    let foreign = other_dev
        .alloc_pd()
        .expect("pd")
        .create_ah(&attr)
        .expect("ah of another device");
    for (wr_id, ah) in [(1, &other_pd), (2, &foreign)] {
        b.qp.post_recv(&[recv(&b, wr_id, 0, 256)]).expect("recv");
        a.qp.post_send(&[wr(&a, wr_id, datagram(&b, ah, QKEY), 0, 8)])
            .expect("posted");
        assert_eq!(one(&a.cq).status, WcStatus::LocQpOpErr, "wr {wr_id}");
        assert_eq!(a.qp.state().expect("state"), QpState::Err);
        // Back to RTS for the next case.
        a.qp.modify(&QpAttr::to_state(QpState::Reset).0, QpAttrMask::STATE)
            .expect("reset");
        a.qp.activate_ud(QKEY).expect("again");
    }
    assert!(drain(&b.cq).is_empty(), "nothing was delivered");
}
