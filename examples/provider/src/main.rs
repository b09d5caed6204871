//! An out-of-tree provider that uses only `ibops`'s public API: a base ops
//! table and a capability-gated one, both derived, merged at probe time the
//! way large kernel drivers stage their ops.

use ibops::prelude::*;

/// The provider's name for its ops tables and probe.
const OWNER: Owner = Owner::new(env!("CARGO_PKG_NAME"));

/// The ops every device of this provider has.
#[derive(DeviceOps)]
#[device_ops(owner = OWNER, driver_id = DriverId::Other(0x1234), uverbs_abi_ver = 1)]
#[device_ops(query_device, query_port, get_port_immutable, get_dev_fw_str)]
struct BaseOps;

impl BaseOps {
    fn query_device(_: &Device, _: &mut Udata) -> Result<DeviceAttr, Error> {
        Ok(DeviceAttr {
            max_qp: 1024,
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
            _ => Err(Error::InvalidArgument("no such port")),
        }
    }

    fn get_port_immutable(_: &Device, _: u8) -> Result<PortImmutable, Error> {
        Ok(PortImmutable::default())
    }

    fn get_dev_fw_str(_: &Device) -> String {
        "1.0.0".to_owned()
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

/// Merges the tables this hardware supports, as `ib_set_device_ops` would.
fn probe(caps: &Capabilities) -> Result<IbDeviceOps, MergeConflict> {
    let mut ops = IbDeviceOps::EMPTY;
    ops.merge(&BaseOps::OPS)?;
    if caps.multicast {
        ops.merge(&McastOps::OPS)?;
    }
    Ok(ops)
}

fn main() -> Result<(), MergeConflict> {
    for caps in [Capabilities { multicast: false }, Capabilities { multicast: true }] {
        let ops = probe(&caps)?;
        let names: Vec<&str> = ops.implemented().map(OpId::name).collect();
        println!("multicast={}: {} ops: {}", caps.multicast, names.len(), names.join(", "));
        let missing: Vec<&str> = ops.missing_mandatory().map(OpId::name).collect();
        println!("  missing mandatory ops: {}", missing.join(", "));
    }
    Ok(())
}
