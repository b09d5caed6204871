//! Device, port, GID and P_Key queries.

use crate::device::soft_device;
use ibops::device::Device;
use ibops::error::{Error, Result};
use ibops::ops::OpId;
use ibops::verbs::{
    AtomicCap, DeviceAttr, DeviceCapFlags, Gid, GidType, LinkLayer, PortAttr, PortCapFlags,
    PortImmutable, PortState, Udata,
};

/// The P_Key of the one P_Key table entry: the default full-member key.
const DEFAULT_PKEY: u16 = 0xffff;
/// The port's physical states (IBTA `PortPhysicalState`): LinkUp, Disabled.
const PHYS_LINK_UP: u8 = 5;
const PHYS_DISABLED: u8 = 3;
/// The subnet prefix of the one GID: link-local.
const LINK_LOCAL_PREFIX: u64 = 0xfe80_0000_0000_0000;

fn check_port(port_num: u8) -> Result<()> {
    if port_num == 1 {
        Ok(())
    } else {
        Err(Error::NotFound(format!("port {port_num}")))
    }
}

/// The device's attributes. What it can do follows its ops table, not the
/// configuration read separately: a limit of objects the table cannot
/// create is 0 (a device without AH ops reports `max_ah` 0, as
/// `ibv_devinfo` users read it).
pub(crate) fn query_device(device: &Device, _: &mut Udata) -> Result<DeviceAttr> {
    let soft = soft_device(device)?;
    let l = &soft.limits;
    let ops = device.ops();
    let has = |op: OpId| ops.is_set(op);
    let limit = |op: OpId, value: u32| if has(op) { value } else { 0 };
    let mut caps = DeviceCapFlags::RESIZE_MAX_WR
        | DeviceCapFlags::CURR_QP_STATE_MOD
        | DeviceCapFlags::SYS_IMAGE_GUID
        | DeviceCapFlags::RC_RNR_NAK_GEN;
    caps.set(DeviceCapFlags::SRQ_RESIZE, has(OpId::ModifySrq));
    Ok(DeviceAttr {
        atomic_cap: if soft.atomics {
            AtomicCap::Hca
        } else {
            AtomicCap::None
        },
        fw_ver: 0x0001_0000,
        sys_image_guid: soft.guid,
        max_mr_size: l.max_mr_size,
        page_size_cap: 4096,
        vendor_id: 0,
        vendor_part_id: 0,
        hw_ver: 1,
        max_qp: l.max_qp,
        max_qp_wr: l.max_qp_wr,
        device_cap_flags: caps,
        max_send_sge: l.max_sge,
        max_recv_sge: l.max_sge,
        max_cq: l.max_cq,
        max_cqe: l.max_cqe,
        max_mr: l.max_mr,
        max_pd: l.max_pd,
        max_qp_rd_atom: l.max_qp_rd_atom,
        max_qp_init_rd_atom: l.max_qp_rd_atom,
        max_mw: limit(OpId::AllocMw, 0),
        max_ah: limit(OpId::CreateAh, l.max_ah),
        max_srq: limit(OpId::CreateSrq, l.max_srq),
        max_srq_wr: limit(OpId::CreateSrq, l.max_srq_wr),
        max_srq_sge: limit(OpId::CreateSrq, l.max_sge),
        max_pkeys: 1,
        local_ca_ack_delay: 0,
        phys_port_cnt: device.phys_port_cnt(),
    })
}

pub(crate) fn query_port(device: &Device, port_num: u8) -> Result<PortAttr> {
    check_port(port_num)?;
    let soft = soft_device(device)?;
    let l = &soft.limits;
    let (state, phys_state) = if soft.port_active() {
        (PortState::Active, PHYS_LINK_UP)
    } else {
        (PortState::Down, PHYS_DISABLED)
    };
    Ok(PortAttr {
        state,
        max_mtu: l.mtu,
        active_mtu: l.mtu,
        gid_tbl_len: 1,
        port_cap_flags: PortCapFlags::empty(),
        max_msg_sz: l.max_msg_sz,
        pkey_tbl_len: 1,
        lid: 1,
        sm_lid: 0,
        lmc: 0,
        active_width: 1,
        active_speed: 1,
        phys_state,
        link_layer: LinkLayer::Infiniband,
    })
}

pub(crate) fn get_port_immutable(_: &Device, port_num: u8) -> Result<PortImmutable> {
    check_port(port_num)?;
    Ok(PortImmutable {
        pkey_tbl_len: 1,
        gid_tbl_len: 1,
        gid_type: GidType::Ib,
        max_mad_size: 256,
    })
}

pub(crate) fn get_link_layer(_: &Device, _: u8) -> LinkLayer {
    LinkLayer::Infiniband
}

pub(crate) fn query_gid(device: &Device, port_num: u8, index: u32) -> Result<Gid> {
    check_port(port_num)?;
    let soft = soft_device(device)?;
    match index {
        0 => Ok(match &soft.link {
            Some(link) => Gid(link.gid()),
            None => Gid::new(LINK_LOCAL_PREFIX, soft.guid),
        }),
        _ => Err(Error::NotFound(format!("GID index {index}"))),
    }
}

pub(crate) fn query_pkey(_: &Device, port_num: u8, index: u16) -> Result<u16> {
    check_port(port_num)?;
    match index {
        0 => Ok(DEFAULT_PKEY),
        _ => Err(Error::NotFound(format!("P_Key index {index}"))),
    }
}

pub(crate) fn get_dev_fw_str(_: &Device) -> String {
    concat!("ibops-soft ", env!("CARGO_PKG_VERSION")).to_owned()
}
