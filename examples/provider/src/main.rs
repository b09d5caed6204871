//! An out-of-tree provider that uses only `ibops`'s public API: a "sink"
//! device whose sends leave the host and are never heard of again (each
//! completes at once, as on a link with no peer that ACKs instantly). Its
//! base ops table and a capability-gated one are both derived and merged
//! at probe time, the way large kernel drivers stage their ops; then the
//! device is registered and used through the verbs API.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use ibops::prelude::*;

/// The provider's name for its ops tables and probe.
const OWNER: Owner = Owner::new(env!("CARGO_PKG_NAME"));

/// A CQ's state: the completions not polled yet.
#[derive(Default)]
struct SinkCq {
    completions: Mutex<VecDeque<WorkCompletion>>,
}

/// The device's state: the next memory key.
#[derive(Default)]
struct SinkDevice {
    next_key: AtomicU32,
}

/// The ops every device of this provider has: the mandatory ones and a
/// firmware string.
#[derive(DeviceOps)]
#[device_ops(mandatory, owner = OWNER, driver_id = DriverId::Other(0x1234), uverbs_abi_ver = 1)]
#[device_ops(obj_size(cq = SinkCq))]
#[device_ops(query_device, query_port, get_port_immutable, get_dev_fw_str)]
#[device_ops(alloc_pd, dealloc_pd, create_cq, destroy_cq, poll_cq, req_notify_cq)]
#[device_ops(create_qp, modify_qp, destroy_qp, post_send, post_recv)]
#[device_ops(get_dma_mr, reg_user_mr, dereg_mr)]
struct BaseOps;

impl BaseOps {
    fn query_device(_: &Device, _: &mut Udata) -> Result<DeviceAttr, Error> {
        Ok(DeviceAttr {
            max_qp: 1024,
            max_cqe: 4096,
            phys_port_cnt: 1,
            ..DeviceAttr::default()
        })
    }

    fn query_port(_: &Device, port_num: u8) -> Result<PortAttr, Error> {
        match port_num {
            1 => Ok(PortAttr {
                state: PortState::Active,
                ..PortAttr::default()
            }),
            _ => Err(Error::NotFound(format!("port {port_num}"))),
        }
    }

    fn get_port_immutable(_: &Device, _: u8) -> Result<PortImmutable, Error> {
        Ok(PortImmutable::default())
    }

    fn get_dev_fw_str(_: &Device) -> String {
        "1.0.0".to_owned()
    }

    fn alloc_pd(_: &Device, _: Option<&Ucontext>, _: &mut Udata) -> Result<Private, Error> {
        Ok(Private::new(()))
    }

    fn dealloc_pd(_: &Pd) -> Result<(), Error> {
        Ok(())
    }

    fn create_cq(
        _: &Device,
        attr: &CqInitAttr,
        _: Option<&Ucontext>,
        _: &mut Udata,
    ) -> Result<Created<CqInfo>, Error> {
        Ok(Created::new(CqInfo { cqe: attr.cqe }, SinkCq::default()))
    }

    fn destroy_cq(_: &Cq) -> Result<(), Error> {
        Ok(())
    }

    fn poll_cq(cq: &Cq, out: &mut [WorkCompletion]) -> Result<usize, Error> {
        let mut completions = cq
            .private::<SinkCq>()?
            .completions
            .lock()
            .map_err(|_| Error::InvalidState("a poller panicked"))?;
        let n = out.len().min(completions.len());
        for (slot, wc) in out.iter_mut().zip(completions.drain(..n)) {
            *slot = wc;
        }
        Ok(n)
    }

    fn req_notify_cq(_: &Cq, _: CqNotifyFlags) -> Result<bool, Error> {
        Ok(false)
    }

    fn create_qp(_: &Pd, init: &QpInitAttr, _: &mut Udata) -> Result<Created<QpInfo>, Error> {
        static NEXT_QPN: AtomicU32 = AtomicU32::new(2);
        let qp_num = NEXT_QPN.fetch_add(1, Ordering::Relaxed);
        Ok(Created::new(QpInfo { qp_num, cap: init.cap }, ()))
    }

    fn modify_qp(_: &Qp, _: &QpAttr, _: QpAttrMask, _: &mut Udata) -> Result<(), Error> {
        Ok(())
    }

    fn destroy_qp(_: &Qp) -> Result<(), Error> {
        Ok(())
    }

    /// Every send leaves at once and completes with success.
    fn post_send(qp: &Qp, wrs: &[SendWr]) -> Result<(), Error> {
        let cq = qp.data().init.send_cq.private::<SinkCq>()?;
        let mut completions = cq
            .completions
            .lock()
            .map_err(|_| Error::InvalidState("a poster panicked"))?;
        completions.extend(wrs.iter().map(|wr| WorkCompletion {
            wr_id: wr.wr_id,
            status: WcStatus::Success,
            opcode: WcOpcode::Send,
            byte_len: wr.sg_list.iter().map(|sge| sge.length).sum(),
            qp_num: qp.qp_num(),
            ..WorkCompletion::default()
        }));
        Ok(())
    }

    /// Nothing ever arrives: receives are accepted and wait for good.
    fn post_recv(_: &Qp, _: &[RecvWr]) -> Result<(), Error> {
        Ok(())
    }

    fn get_dma_mr(pd: &Pd, _: AccessFlags) -> Result<Created<MrKeys>, Error> {
        Self::new_keys(pd)
    }

    fn reg_user_mr(
        pd: &Pd,
        _: &UserMemory,
        _: u64,
        _: AccessFlags,
        _: &mut Udata,
    ) -> Result<Created<MrKeys>, Error> {
        Self::new_keys(pd)
    }

    fn dereg_mr(_: &Mr) -> Result<(), Error> {
        Ok(())
    }

    /// A fresh key pair from the device's counter.
    fn new_keys(pd: &Pd) -> Result<Created<MrKeys>, Error> {
        let key = pd
            .device()
            .private::<SinkDevice>()?
            .next_key
            .fetch_add(1, Ordering::Relaxed);
        Ok(Created::new(MrKeys { lkey: key, rkey: key }, ()))
    }
}

/// Ops only hardware with the multicast capability gets.
#[derive(DeviceOps)]
#[device_ops(owner = OWNER, attach_mcast = mcast::attach, detach_mcast = mcast::detach)]
struct McastOps;

mod mcast {
    use ibops::prelude::*;

    pub fn attach(_: &Qp, gid: &Gid, _: u16) -> Result<(), Error> {
        if gid.is_multicast() {
            Ok(())
        } else {
            Err(Error::InvalidArgument("not a multicast GID"))
        }
    }

    pub fn detach(qp: &Qp, gid: &Gid, lid: u16) -> Result<(), Error> {
        attach(qp, gid, lid)
    }
}

/// What the hardware reports at probe time.
struct Capabilities {
    multicast: bool,
}

/// Merges the tables this hardware supports, as `ib_set_device_ops` would,
/// and registers the device.
fn probe(name: &str, caps: &Capabilities) -> Result<Device, Error> {
    let mut builder = DeviceBuilder::new(name);
    builder.set_ops(&BaseOps::OPS)?;
    if caps.multicast {
        builder.set_ops(&McastOps::OPS)?;
    }
    builder.ports(1).private(SinkDevice::default());
    builder.register()
}

fn main() -> Result<(), Error> {
    for (name, caps) in [
        ("sink0", Capabilities { multicast: false }),
        ("sink1", Capabilities { multicast: true }),
    ] {
        let dev = probe(name, &caps)?;
        let names: Vec<&str> = dev.ops().implemented().map(OpId::name).collect();
        println!("{name}: multicast={}: {} ops: {}", caps.multicast, names.len(), names.join(", "));
        // A verbs call through the registered device: one SEND, polled.
        let pd = dev.alloc_pd()?;
        let cq = dev.create_cq(&CqInitAttr::new(16))?;
        let qp = pd.create_qp(&QpInitAttr::new(QpType::Rc, &cq, &cq, QpCap::single_sge(4, 4)))?;
        let buf = Buffer::new(64)?;
        let mr = pd.reg_mr(&UserMemory::whole(&buf), AccessFlags::LOCAL_WRITE)?;
        qp.post_send(&[SendWr::new(7, WrOpcode::Send, [mr.sge(0, 64)?]).signaled()])?;
        let mut wc = [WorkCompletion::default(); 4];
        let n = cq.poll(&mut wc)?;
        println!(
            "  SEND of 64 bytes: {n} completion, wr_id {}, {:?}, {} bytes",
            wc[0].wr_id, wc[0].status, wc[0].byte_len
        );
        if n != 1 || wc[0].status != WcStatus::Success || wc[0].byte_len != 64 {
            return Err(Error::InvalidState("the SEND did not complete as sent"));
        }
        let attach = dev.ops().attach_mcast(&qp, &Gid::default(), 0);
        println!("  attach_mcast: {attach:?}");
    }
    Ok(())
}
