//! The soft device's ops tables, each built by `#[derive(DeviceOps)]` at
//! compile time: a base table with every mandatory op (the derive checks
//! that), and capability tables `probe` merges in when the configuration
//! enables them.

use std::sync::Arc;

use super::cq::SoftCq;
use super::pd::{SoftAh, SoftPd};
use super::qp::SoftQp;
use super::recv::RecvQueue;
use super::verbs::{cq, device, mr, pd, post, qp, srq};
use ibops::verbs::{DriverId, Owner};
use ibops::{DeviceOps, IbDeviceOps, ProvideOps};

/// The module that provides the soft device's ops.
pub(super) const OWNER: Owner = Owner::new(env!("CARGO_CRATE_NAME"));

/// Device, port, PD, CQ, MR and QP ops: what every soft device has, with
/// the state types of its PDs, CQs and QPs (the core checks each object
/// the provider creates against them).
#[derive(DeviceOps)]
#[device_ops(mandatory, owner = OWNER, driver_id = DriverId::Soft, uverbs_abi_ver = 1)]
#[device_ops(obj_size(pd = SoftPd, cq = Arc<SoftCq>, qp = Arc<SoftQp>))]
#[device_ops(
    query_device = device::query_device,
    query_port = device::query_port,
    get_port_immutable = device::get_port_immutable,
    get_link_layer = device::get_link_layer,
    query_gid = device::query_gid,
    query_pkey = device::query_pkey,
    get_dev_fw_str = device::get_dev_fw_str,
    alloc_pd = pd::alloc_pd,
    dealloc_pd = pd::dealloc_pd,
    create_cq = cq::create_cq,
    destroy_cq = cq::destroy_cq,
    poll_cq = cq::poll_cq,
    peek_cq = cq::peek_cq,
    req_notify_cq = cq::req_notify_cq,
    resize_cq = cq::resize_cq,
    get_dma_mr = mr::get_dma_mr,
    reg_user_mr = mr::reg_user_mr,
    dereg_mr = mr::dereg_mr,
    create_qp = qp::create_qp,
    modify_qp = qp::modify_qp,
    query_qp = qp::query_qp,
    destroy_qp = qp::destroy_qp,
    post_send = post::post_send,
    post_recv = post::post_recv,
    drain_sq = qp::drain,
    drain_rq = qp::drain,
)]
pub(super) struct BaseOps;

/// Shared receive queues.
#[derive(DeviceOps)]
#[device_ops(owner = OWNER, driver_id = DriverId::Soft, obj_size(srq = Arc<RecvQueue>))]
#[device_ops(
    create_srq = srq::create_srq,
    modify_srq = srq::modify_srq,
    query_srq = srq::query_srq,
    destroy_srq = srq::destroy_srq,
    post_srq_recv = post::post_srq_recv,
)]
pub(super) struct SrqOps;

/// Address handles, which UD queue pairs address their datagrams with.
#[derive(DeviceOps)]
#[device_ops(owner = OWNER, driver_id = DriverId::Soft, obj_size(ah = SoftAh))]
#[device_ops(create_ah = pd::create_ah, query_ah = pd::query_ah, destroy_ah = pd::destroy_ah)]
pub(super) struct AhOps;

/// The table of `T`.
pub(super) const fn table<T: ProvideOps>() -> &'static IbDeviceOps {
    &T::OPS
}
