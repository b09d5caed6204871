//! Object creation limits, validation, busy objects and cleanup.

use ibops::prelude::*;
use ibops_soft::{self as soft, Limits, LiveObjects, SoftConfig};

use crate::common::{CAP, Node, device, node, one, qp_init, rc_pair, recv, unique_name};

fn small(limits: Limits) -> Device {
    let mut config = SoftConfig::new(unique_name("small"));
    config.limits = limits;
    config.probe().expect("probe")
}

#[test]
fn pd_limit_is_enforced_and_freed_pds_count_again() {
    let dev = small(Limits {
        max_pd: 2,
        ..Limits::DEFAULT
    });
    let a = dev.alloc_pd().expect("1");
    let _b = dev.alloc_pd().expect("2");
    assert_eq!(
        dev.alloc_pd().expect_err("3"),
        Error::LimitExceeded {
            what: "max_pd",
            requested: 3,
            limit: 2
        }
    );
    drop(a);
    dev.alloc_pd().expect("a freed slot");
}

#[test]
fn cq_size_is_checked() {
    let dev = device();
    assert!(matches!(
        dev.create_cq(&CqInitAttr::new(0)),
        Err(Error::InvalidArgument(_))
    ));
    let too_big = Limits::DEFAULT.max_cqe + 1;
    assert!(matches!(
        dev.create_cq(&CqInitAttr::new(too_big)),
        Err(Error::LimitExceeded {
            what: "max_cqe",
            ..
        })
    ));
}

#[test]
fn qp_queue_sizes_above_the_limits_are_refused() {
    let dev = device();
    let pd = dev.alloc_pd().expect("pd");
    let cq = dev.create_cq(&CqInitAttr::new(16)).expect("cq");
    let cap = |f: fn(&mut QpCap)| {
        let mut cap = CAP;
        f(&mut cap);
        pd.create_qp(&qp_init(&cq, QpType::Rc, cap))
    };
    assert!(matches!(
        cap(|c| c.max_send_wr = Limits::DEFAULT.max_qp_wr + 1),
        Err(Error::LimitExceeded {
            what: "max_send_wr",
            ..
        })
    ));
    assert!(matches!(
        cap(|c| c.max_recv_sge = 17),
        Err(Error::LimitExceeded {
            what: "max_recv_sge",
            ..
        })
    ));
    assert!(matches!(
        cap(|c| c.max_inline_data = 4096),
        Err(Error::LimitExceeded {
            what: "max_inline_data",
            ..
        })
    ));
    // UC and XRC are not supported by design: the kernel's -EOPNOTSUPP.
    for qp_type in [QpType::Uc, QpType::XrcIni, QpType::XrcTgt] {
        let refused = pd.create_qp(&qp_init(&cq, qp_type, CAP));
        assert_eq!(
            refused.err(),
            Some(Error::NotSupported(OpId::CreateQp)),
            "{qp_type:?}"
        );
    }
}

/// Memory windows are not supported by design: the ops are absent, and
/// the dispatch answers exactly `NotSupported` naming each.
#[test]
fn memory_windows_are_not_supported_by_design() {
    let dev = device();
    let pd = dev.alloc_pd().expect("pd");
    assert_eq!(
        dev.ops()
            .alloc_mw(&pd, MwType::Type1, &mut Udata::none())
            .err(),
        Some(Error::NotSupported(OpId::AllocMw))
    );
    assert!(dev.ops().dealloc_mw.is_none());
    assert_eq!(dev.query_device().expect("attr").max_mw, 0);
    assert!(
        !dev.query_device()
            .expect("attr")
            .device_cap_flags
            .contains(DeviceCapFlags::MEM_WINDOW)
    );
}

#[test]
fn a_cq_of_another_device_is_refused() {
    let (one, two) = (device(), device());
    let pd = one.alloc_pd().expect("pd");
    let foreign = two.create_cq(&CqInitAttr::new(4)).expect("cq");
    let err = pd
        .create_qp(&qp_init(&foreign, QpType::Rc, CAP))
        .expect_err("foreign CQ");
    assert!(matches!(err, Error::InvalidArgument(_)));
}

#[test]
fn mr_access_combinations_are_checked() {
    let dev = device();
    let pd = dev.alloc_pd().expect("pd");
    let mem = UserMemory::whole(&Buffer::new(64).expect("buffer"));
    for bad in [AccessFlags::REMOTE_WRITE, AccessFlags::REMOTE_ATOMIC] {
        assert!(
            matches!(pd.reg_mr(&mem, bad), Err(Error::InvalidArgument(_))),
            "{bad:?}"
        );
    }
    let mr = pd
        .reg_mr(&mem, AccessFlags::REMOTE_READ)
        .expect("read-only is valid");
    assert_eq!((mr.addr(), mr.len()), (mem.addr(), 64));
    assert_eq!(mr.lkey(), mr.rkey());
}

#[test]
fn mr_ranges_are_checked() {
    let dev = small(Limits {
        max_mr_size: 32,
        ..Limits::DEFAULT
    });
    let pd = dev.alloc_pd().expect("pd");
    let buf = Buffer::new(64).expect("buffer");
    assert!(UserMemory::range(&buf, 60, 8).is_err());
    let empty = UserMemory::range(&buf, 8, 0).expect("empty range");
    assert!(matches!(
        pd.reg_mr(&empty, AccessFlags::LOCAL_WRITE),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        pd.reg_mr(&UserMemory::whole(&buf), AccessFlags::LOCAL_WRITE),
        Err(Error::LimitExceeded {
            what: "max_mr_size",
            ..
        })
    ));
    let half = UserMemory::range(&buf, 32, 32).expect("range");
    let mr = pd
        .reg_mr(&half, AccessFlags::LOCAL_WRITE)
        .expect("32 bytes");
    assert_eq!(mr.addr(), buf.addr() + 32);
}

#[test]
fn objects_in_use_are_busy() {
    let dev = device();
    let n = node(&dev, QpType::Rc, 64);
    // The QP holds its CQ; the MR and the QP hold the PD.
    assert_eq!(n.cq.clone().destroy(), Err(Error::Busy("cq")));
    assert_eq!(n.pd.clone().destroy(), Err(Error::Busy("pd")));
    // Busy destroys changed nothing.
    assert_eq!(soft::live_objects(&dev).expect("soft").cq, 1);
    n.qp.destroy().expect("an unused QP");
    n.mr.destroy().expect("an unused MR");
    n.cq.destroy().expect("the CQ is free now");
    n.pd.destroy().expect("the PD is free now");
    assert_eq!(
        soft::live_objects(&dev).expect("soft"),
        LiveObjects::default()
    );
}

#[test]
fn dropping_the_handles_cleans_everything_up() {
    let dev = device();
    {
        let n = node(&dev, QpType::Rc, 64);
        let srq = n.pd.create_srq(&SrqInitAttr::new(16, 1)).expect("srq");
        let ah =
            n.pd.create_ah(&AhAttr {
                port_num: 1,
                ..AhAttr::default()
            })
            .expect("ah");
        let live = soft::live_objects(&dev).expect("soft");
        assert_eq!(
            live,
            LiveObjects {
                pd: 1,
                cq: 1,
                qp: 1,
                mr: 1,
                srq: 1,
                ah: 1
            }
        );
        drop((srq, ah));
        // Dropping a parent's handle first is fine: children keep it alive.
        let Node { pd, cq, qp, mr, .. } = n;
        drop((pd, cq));
        drop((qp, mr));
    }
    assert_eq!(
        soft::live_objects(&dev).expect("soft"),
        LiveObjects::default()
    );
}

#[test]
fn a_dma_mr_reaches_registered_memory_of_its_pd() {
    let (_dev, a, b) = rc_pair(64);
    let dma = a.pd.get_dma_mr(AccessFlags::LOCAL_WRITE).expect("dma mr");
    assert!(dma.is_empty());
    a.buf.write(0, b"dma!").expect("write");
    b.qp.post_recv(&[recv(&b, 1, 0, 64)]).expect("recv");
    let sge = Sge::new(a.mr.addr(), 4, dma.lkey());
    a.qp.post_send(&[SendWr::new(7, WrOpcode::Send, [sge]).signaled()])
        .expect("send");
    assert_eq!(one(&a.cq).status, WcStatus::Success);
    let mut got = [0u8; 4];
    b.buf.read(0, &mut got).expect("read");
    assert_eq!(&got, b"dma!");
}

/// `Mr::sge` used to add the offset unchecked (a panic in debug builds, a
/// wrapped address in release builds).
#[test]
fn an_sge_outside_its_region_is_an_error() {
    let dev = device();
    let pd = dev.alloc_pd().expect("pd");
    let buf = Buffer::new(64).expect("buffer");
    let mr = pd
        .reg_mr(&UserMemory::whole(&buf), AccessFlags::LOCAL_WRITE)
        .expect("mr");
    let sge = mr.sge(60, 4).expect("the last four bytes");
    assert_eq!((sge.addr, sge.length), (mr.addr() + 60, 4));
    for (offset, len) in [(u64::MAX, 1), (u64::MAX - 2, 8), (61, 4), (64, 1)] {
        assert!(
            matches!(mr.sge(offset, len), Err(Error::InvalidArgument(_))),
            "offset {offset} length {len}"
        );
    }
    let dma = pd.get_dma_mr(AccessFlags::LOCAL_WRITE).expect("dma mr");
    assert!(
        dma.sge(1 << 40, 8).is_ok(),
        "a DMA region reaches any address"
    );
    assert!(matches!(
        dma.sge(u64::MAX, 8),
        Err(Error::InvalidArgument(_))
    ));
}

/// Sizes the kernel refuses, refused by the provider itself (reached
/// through its ops table, not only through the API's checks), and a
/// region ending exactly at 2^64, which is valid. Before the fix the soft
/// device took a CQ of no entries, an SRQ of no receives or with its limit
/// above its size, and a completion vector it does not have, and refused
/// the region.
#[test]
fn sizes_the_kernel_refuses_are_refused_and_the_last_byte_of_memory_is_valid() {
    let dev = device();
    let mut udata = Udata::default();
    let zero = dev
        .ops()
        .create_cq(&dev, &CqInitAttr::new(0), None, &mut udata);
    assert!(matches!(zero, Err(Error::InvalidArgument(_))));
    let mut attr = CqInitAttr::new(4);
    attr.comp_vector = 1;
    assert!(matches!(
        dev.create_cq(&attr),
        Err(Error::InvalidArgument(_))
    ));
    attr.comp_vector = 0;
    dev.create_cq(&attr).expect("vector 0");
    let pd = dev.alloc_pd().expect("pd");
    let srq = |max_wr, srq_limit| {
        pd.create_srq(&SrqInitAttr {
            attr: SrqAttr {
                max_wr,
                max_sge: 1,
                srq_limit,
            },
        })
    };
    assert!(matches!(srq(4, 1000), Err(Error::InvalidArgument(_))));
    assert!(matches!(srq(0, 0), Err(Error::InvalidArgument(_))));
    srq(4, 4).expect("a limit of max_wr");
    let buf = Buffer::new(64).expect("buffer");
    let memory = UserMemory::whole(&buf);
    let top = u64::MAX - 63;
    let mr = pd
        .reg_mr_at(&memory, top, AccessFlags::LOCAL_WRITE)
        .expect("ends at 2^64");
    assert_eq!(mr.sge(0, 64).expect("sge").addr, top);
    assert!(
        pd.reg_mr_at(&memory, top + 1, AccessFlags::LOCAL_WRITE)
            .is_err(),
        "wraps"
    );
}
