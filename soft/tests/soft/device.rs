//! Probe, registration, the registry and the device queries.

use ibops::prelude::*;
use ibops_soft::{Limits, SoftConfig};

use crate::common::{device, unique_name};

#[test]
fn probe_merges_the_base_and_capability_tables() {
    let dev = device();
    let ops: Vec<OpId> = dev.ops().implemented().collect();
    for op in OpId::MANDATORY {
        assert!(ops.contains(&op), "{op} missing");
    }
    assert!(ops.contains(&OpId::CreateSrq) && ops.contains(&OpId::CreateAh));
    assert_eq!(dev.ops().driver_id, DriverId::Soft);
    assert_eq!(dev.ops().owner.name(), Some("ibops_soft"));
}

#[test]
fn a_capability_left_out_is_not_supported_by_name() {
    let mut config = SoftConfig::new(unique_name("nosrq"));
    config.srq = false;
    config.ud = false;
    let dev = config.probe().expect("probe");
    assert!(!dev.ops().implemented().any(|op| op == OpId::CreateSrq));
    let pd = dev.alloc_pd().expect("pd");
    let err = pd
        .create_srq(&SrqInitAttr::new(16, 1))
        .expect_err("no SRQ table");
    assert_eq!(err, Error::NotSupported(OpId::CreateSrq));
    assert!(err.to_string().contains("create_srq"), "{err}");
    let err = pd
        .create_ah(&AhAttr {
            port_num: 1,
            ..AhAttr::default()
        })
        .expect_err("no AH table");
    assert_eq!(err, Error::NotSupported(OpId::CreateAh));
    let attr = dev.query_device().expect("query");
    assert!(!attr.device_cap_flags.contains(DeviceCapFlags::SRQ_RESIZE));
    assert_eq!(attr.max_srq, 0);
}

#[test]
fn registry_finds_devices_by_name_and_index_until_removed() {
    let registry = Registry::new();
    let a = SoftConfig::new("mlx_a").probe_in(&registry).expect("a");
    let b = SoftConfig::new("mlx_b").probe_in(&registry).expect("b");
    let listed: Vec<(u32, String)> = registry
        .devices()
        .into_iter()
        .map(|(i, d)| (i, d.name().to_owned()))
        .collect();
    assert_eq!(listed, [(1, "mlx_a".to_owned()), (2, "mlx_b".to_owned())]);
    assert!(registry.by_name("mlx_b").is_some_and(|d| d.same(&b)));
    assert!(registry.by_index(1).is_some_and(|d| d.same(&a)));
    assert_eq!(
        SoftConfig::new("mlx_a")
            .probe_in(&registry)
            .expect_err("taken"),
        Error::AlreadyExists("mlx_a".to_owned())
    );
    // Unregistering hides the device; its objects keep it alive.
    let pd = a.alloc_pd().expect("pd");
    let removed = registry.remove("mlx_a").expect("registered");
    drop((a, removed));
    assert!(registry.by_name("mlx_a").is_none());
    assert!(matches!(registry.remove("mlx_a"), Err(Error::NotFound(_))));
    assert_eq!(pd.device().name(), "mlx_a");
    // Indexes are not reused.
    SoftConfig::new("mlx_c").probe_in(&registry).expect("c");
    assert!(registry.by_index(3).is_some());
    assert_eq!(registry.len(), 2);
}

#[test]
fn query_device_reports_the_limits() {
    let dev = device();
    let attr = dev.query_device().expect("query");
    let l = Limits::DEFAULT;
    assert_eq!(attr.max_qp, l.max_qp);
    assert_eq!(attr.max_qp_wr, l.max_qp_wr);
    assert_eq!(attr.max_send_sge, l.max_sge);
    assert_eq!(attr.max_cqe, l.max_cqe);
    assert_eq!(attr.max_mr_size, l.max_mr_size);
    assert_eq!(attr.phys_port_cnt, 1);
    assert!(
        attr.device_cap_flags
            .contains(DeviceCapFlags::SRQ_RESIZE | DeviceCapFlags::RC_RNR_NAK_GEN)
    );
    assert_eq!(attr.atomic_cap, AtomicCap::Hca);
}

#[test]
fn port_gid_and_pkey_queries() {
    let dev = device();
    let port = dev.query_port(1).expect("port 1");
    assert_eq!(port.state, PortState::Active);
    assert_eq!(port.active_mtu, Mtu::Mtu4096);
    assert_eq!(port.link_layer, LinkLayer::Infiniband);
    assert!(matches!(dev.query_port(0), Err(Error::NotFound(_))));
    assert!(matches!(dev.query_port(2), Err(Error::NotFound(_))));
    let gid = dev.query_gid(1, 0).expect("gid 0");
    assert_eq!(gid.subnet_prefix(), 0xfe80_0000_0000_0000);
    let guid = dev.query_device().expect("attr").sys_image_guid;
    assert_eq!(gid.interface_id(), guid);
    // A locally administered EUI-64 (no vendor's OUI), unique per name.
    assert_eq!(guid >> 56, 0x02, "{guid:#018x}");
    assert_ne!(guid, ibops_soft::local_guid("another name"));
    assert!(matches!(dev.query_gid(1, 1), Err(Error::NotFound(_))));
    assert_eq!(dev.query_pkey(1, 0), Ok(0xffff));
    assert!(dev.query_pkey(1, 1).is_err());
    assert_eq!(dev.port_immutable(1).expect("immutable").gid_tbl_len, 1);
    assert!(dev.fw_version().expect("fw").starts_with("ibops-soft "));
}

#[test]
fn devices_objects_and_buffers_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Device>();
    send_sync::<Arc<Pd>>();
    send_sync::<Arc<Qp>>();
    send_sync::<Arc<Cq>>();
    send_sync::<Arc<Mr>>();
    send_sync::<Arc<Srq>>();
    send_sync::<Buffer>();
    send_sync::<Registry>();
}

/// Before the fix, a device without the AH table reported `max_ah` 4096
/// (`devinfo -v -d soft1`). Over every soft configuration, what
/// `query_device` says the device can do agrees with its ops table.
#[test]
fn capabilities_agree_with_the_ops_in_every_configuration() {
    for bits in 0..8u8 {
        let mut config = SoftConfig::new(unique_name("caps"));
        (config.srq, config.ud, config.atomics) = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0);
        let dev = config.probe().expect("probe");
        let has = |op| dev.ops().implemented().any(|o| o == op);
        let attr = dev.query_device().expect("query");
        let what = format!(
            "srq {} ud {} atomics {}",
            config.srq, config.ud, config.atomics
        );
        assert_eq!(attr.max_ah > 0, has(OpId::CreateAh), "{what}");
        assert_eq!(attr.max_srq > 0, has(OpId::CreateSrq), "{what}");
        assert_eq!(attr.max_srq_wr > 0, has(OpId::CreateSrq), "{what}");
        assert_eq!(attr.max_srq_sge > 0, has(OpId::CreateSrq), "{what}");
        assert_eq!(
            attr.device_cap_flags.contains(DeviceCapFlags::SRQ_RESIZE),
            has(OpId::ModifySrq),
            "{what}"
        );
        assert_eq!(attr.max_mw > 0, has(OpId::AllocMw), "{what}");
        assert_eq!(attr.atomic_cap != AtomicCap::None, config.atomics, "{what}");
        assert_eq!(has(OpId::CreateSrq), config.srq, "{what}");
        assert_eq!(has(OpId::CreateAh), config.ud, "{what}");
    }
}
