//! Registration's mandatory-op check and the generated dispatch layer.

use ibops::prelude::*;

fn query_device(device: &Device, _: &mut Udata) -> Result<DeviceAttr, Error> {
    let limits = device.private::<Limits>()?;
    Ok(DeviceAttr {
        max_qp: limits.max_qp,
        phys_port_cnt: device.phys_port_cnt(),
        ..DeviceAttr::default()
    })
}

fn get_dev_fw_str(_: &Device) -> String {
    "1.2.3".to_owned()
}

struct Limits {
    max_qp: u32,
}

/// A table with every mandatory op: `query_device` is real, the rest refuse.
fn mandatory_table() -> IbDeviceOps {
    let mut t = IbDeviceOps::EMPTY;
    t.query_device = Some(query_device);
    t.query_port = Some(|_, _| Err(Error::InvalidArgument("port")));
    t.get_port_immutable = Some(|_, _| Ok(PortImmutable::default()));
    t.alloc_pd = Some(|_, _, _| Ok(Private::new(())));
    t.dealloc_pd = Some(|_| Ok(()));
    t.create_qp = Some(|_, _, _| Err(Error::NoMemory("qp")));
    t.modify_qp = Some(|_, _, _, _| Ok(()));
    t.destroy_qp = Some(|_| Ok(()));
    t.post_send = Some(|_, _| Ok(()));
    t.post_recv = Some(|_, _| Ok(()));
    t.create_cq = Some(|_, _, _, _| Err(Error::NoMemory("cq")));
    t.destroy_cq = Some(|_| Ok(()));
    t.poll_cq = Some(|_, _| Ok(0));
    t.req_notify_cq = Some(|_, _| Ok(false));
    t.get_dma_mr = Some(|_, _| Err(Error::NoMemory("mr")));
    t.reg_user_mr = Some(|_, _, _, _, _| Err(Error::NoMemory("mr")));
    t.dereg_mr = Some(|_| Ok(()));
    t
}

fn registered() -> Device {
    let mut builder = DeviceBuilder::new("test0");
    builder.set_ops(&mandatory_table()).expect("merge");
    builder.ports(2).private(Limits { max_qp: 7 });
    builder.register().expect("register")
}

#[test]
fn register_lists_every_missing_mandatory_op() {
    let mut ops = mandatory_table();
    ops.poll_cq = None;
    ops.create_cq = None;
    let mut builder = DeviceBuilder::new("broken0");
    builder.set_ops(&ops).expect("merge");
    let err = builder
        .register()
        .expect_err("poll_cq and create_cq are missing");
    assert_eq!(
        err,
        Error::MissingMandatory(vec![OpId::PollCq, OpId::CreateCq])
    );
    let text = err.to_string();
    assert!(
        text.contains("poll_cq") && text.contains("create_cq"),
        "{text}"
    );
}

#[test]
fn a_complete_table_registers() {
    let dev = registered();
    assert_eq!(dev.name(), "test0");
    assert_eq!(dev.ops().missing_mandatory().count(), 0);
    assert_eq!(dev.ops().implemented().count(), 17);
}

#[test]
fn dispatch_calls_the_provider() {
    let dev = registered();
    let attr = dev
        .ops()
        .query_device(&dev, &mut Udata::none())
        .expect("query");
    assert_eq!(attr.max_qp, 7);
    assert_eq!(attr.phys_port_cnt, 2);
    assert_eq!(
        dev.ops().query_port(&dev, 1),
        Err(Error::InvalidArgument("port"))
    );
}

#[test]
fn dispatch_of_a_missing_op_is_not_supported_naming_it() {
    let dev = registered();
    let err = dev.ops().get_dev_fw_str(&dev).expect_err("not set");
    assert_eq!(err, Error::NotSupported(OpId::GetDevFwStr));
    assert!(err.to_string().contains("get_dev_fw_str"), "{err}");
}

#[test]
fn dispatch_wraps_plain_return_values() {
    let mut builder = DeviceBuilder::new("fw0");
    let mut extra = IbDeviceOps::EMPTY;
    extra.get_dev_fw_str = Some(get_dev_fw_str);
    builder.set_ops(&mandatory_table()).expect("merge");
    builder.set_ops(&extra).expect("merge");
    let dev = builder.register().expect("register");
    assert_eq!(dev.ops().get_dev_fw_str(&dev).as_deref(), Ok("1.2.3"));
}

#[test]
fn provider_state_is_checked_by_type() {
    let dev = registered();
    assert_eq!(dev.private::<Limits>().map(|l| l.max_qp), Ok(7));
    let err = dev.private::<String>().expect_err("wrong type");
    assert!(
        matches!(
            err,
            Error::WrongPrivate {
                object: "device",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn op_introspection() {
    let info = OpId::PostSend.info();
    assert_eq!(info.name, "post_send");
    assert_eq!(info.group, "datapath");
    assert!(info.mandatory);
    assert_eq!(
        info.signature,
        "fn post_send(qp: &Qp, wrs: &[SendWr]) -> Result<(), Error>"
    );
    assert_eq!(OpId::from_name("poll_cq"), Some(OpId::PollCq));
    assert_eq!(OpId::from_name("post_sned"), None);
    assert_eq!(OpId::ALL.len(), 128);
    assert!(
        OpId::ALL
            .iter()
            .enumerate()
            .all(|(i, op)| *op as usize == i)
    );
}

/// The state type a provider declares for its PDs (`size_ib_pd`).
struct DeclaredPd;

/// A table declaring `DeclaredPd` whose `alloc_pd` returns `u32` state.
#[derive(DeviceOps)]
#[device_ops(obj_size(pd = DeclaredPd), alloc_pd = wrong_pd, dealloc_pd = count_dealloc)]
struct MismatchedPd;

static DEALLOCS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn wrong_pd(_: &Device, _: Option<&Ucontext>, _: &mut Udata) -> Result<Private, Error> {
    Ok(Private::new(7u32))
}

fn count_dealloc(_: &Pd) -> Result<(), Error> {
    DEALLOCS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

#[test]
fn an_object_whose_state_is_not_the_declared_type_is_refused() {
    let mut builder = DeviceBuilder::new("objsize0");
    builder.set_ops(&MismatchedPd::OPS).expect("declared table");
    builder.set_ops(&mandatory_table()).expect("the rest");
    let dev = builder.register().expect("register");
    let size = dev.ops().size_ib_pd.expect("declared");
    assert!(size.type_name().ends_with("DeclaredPd"));
    let err = dev.alloc_pd().expect_err("u32 is not DeclaredPd");
    assert!(
        matches!(err, Error::WrongPrivate { object: "pd", expected, found: "u32", .. } if expected.ends_with("DeclaredPd")),
        "{err:?}"
    );
    // Before the fix the message named neither the type stored nor the
    // attribute that declared the expected one.
    assert_eq!(
        err.to_string(),
        "provider state of this pd is a `u32`, not a `dispatch::DeclaredPd` as declared by \
         #[device_ops(obj_size(pd = DeclaredPd))] at runtime/tests/dispatch.rs:158"
    );
    // The provider's state is released through its destroy op.
    assert_eq!(DEALLOCS.load(std::sync::atomic::Ordering::Relaxed), 1);
    // Without a declaration, any state goes.
    assert!(registered().alloc_pd().is_ok());
}
