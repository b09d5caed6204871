//! Every op of the table with its arity and kind of return value, and the
//! full tables built from that list: shared by the merge property tests
//! and the table benchmarks (`#[path]`-included by both).

#![allow(dead_code, unreachable_pub)]

use ibops::prelude::*;

/// Builds, from one list of every op with its arity and kind of return
/// value, a full table per value of `B` whose functions return values that
/// depend on `B` (so the two tables' function pointers differ), and the
/// address of each op of a table.
macro_rules! every_op {
    ($($name:ident($($arg:tt),*) $ret:ident;)*) => {
        pub fn full_table<const B: bool>() -> IbDeviceOps {
            let mut t = IbDeviceOps::EMPTY;
            $(t.$name = Some(|$($arg),*| ret!($ret, B));)*
            t
        }

        /// Each op's function address, in struct order.
        pub fn addresses(t: &IbDeviceOps) -> Vec<Option<usize>> {
            vec![$(t.$name.map(|f| f as usize)),*]
        }

        /// How many ops return the same value in both tables (`()` or
        /// `None`): an optimiser may fold their two bodies into one.
        pub fn foldable() -> usize {
            [$(stringify!($ret)),*]
                .iter()
                .filter(|kind| matches!(**kind, "unit" | "none"))
                .count()
        }
    };
}

/// A return value of the given kind that differs between the two tables.
macro_rules! ret {
    (err, $b:expr) => {
        Err(Error::InvalidArgument(if $b {
            "table b"
        } else {
            "table a"
        }))
    };
    (unit, $b:expr) => {
        ()
    };
    (string, $b:expr) => {
        String::from(if $b { "table b" } else { "table a" })
    };
    (none, $b:expr) => {
        None
    };
    (link, $b:expr) => {
        if $b {
            LinkLayer::Ethernet
        } else {
            LinkLayer::Infiniband
        }
    };
}

every_op! {
    post_send(_, _) err;
    post_recv(_, _) err;
    drain_rq(_) unit;
    drain_sq(_) unit;
    poll_cq(_, _) err;
    peek_cq(_, _) err;
    req_notify_cq(_, _) err;
    post_srq_recv(_, _) err;
    process_mad(_, _, _, _, _, _) err;
    query_device(_, _) err;
    modify_device(_, _, _) err;
    get_dev_fw_str(_) string;
    get_vector_affinity(_, _) none;
    query_port(_, _) err;
    query_port_speed(_, _) err;
    modify_port(_, _, _, _) err;
    get_port_immutable(_, _) err;
    get_link_layer(_, _) link;
    get_netdev(_, _) none;
    alloc_rdma_netdev(_, _, _, _, _, _) err;
    rdma_netdev_get_params(_, _, _) err;
    query_gid(_, _, _) err;
    add_gid(_, _) err;
    del_gid(_, _) err;
    query_pkey(_, _, _) err;
    alloc_ucontext(_, _) err;
    dealloc_ucontext(_) err;
    mmap(_, _) err;
    mmap_free(_) unit;
    mmap_get_pfns(_) err;
    pgoff_to_mmap_entry(_, _) none;
    disassociate_ucontext(_) unit;
    alloc_pd(_, _, _) err;
    dealloc_pd(_) err;
    create_ah(_, _, _) err;
    create_user_ah(_, _, _) err;
    modify_ah(_, _) err;
    query_ah(_) err;
    destroy_ah(_) err;
    create_srq(_, _, _) err;
    modify_srq(_, _, _, _) err;
    query_srq(_) err;
    destroy_srq(_) err;
    create_qp(_, _, _) err;
    modify_qp(_, _, _, _) err;
    query_qp(_, _) err;
    destroy_qp(_) err;
    create_cq(_, _, _, _) err;
    create_user_cq(_, _, _, _) err;
    modify_cq(_, _, _) err;
    destroy_cq(_) err;
    resize_cq(_, _, _) err;
    pre_destroy_cq(_) err;
    post_destroy_cq(_) unit;
    get_dma_mr(_, _) err;
    reg_user_mr(_, _, _, _, _) err;
    reg_user_mr_dmabuf(_, _, _, _, _, _, _, _) err;
    rereg_user_mr(_, _, _, _, _, _, _) err;
    dereg_mr(_) err;
    alloc_mr(_, _, _) err;
    alloc_mr_integrity(_, _, _) err;
    advise_mr(_, _, _, _, _) err;
    map_mr_sg(_, _, _) err;
    check_mr_status(_, _) err;
    alloc_mw(_, _, _) err;
    dealloc_mw(_) err;
    attach_mcast(_, _, _) err;
    detach_mcast(_, _, _) err;
    alloc_xrcd(_, _, _) err;
    dealloc_xrcd(_) err;
    create_flow(_, _, _) err;
    destroy_flow(_) err;
    destroy_flow_action(_) err;
    set_vf_link_state(_, _, _, _) err;
    get_vf_config(_, _, _) err;
    get_vf_stats(_, _, _) err;
    get_vf_guid(_, _, _) err;
    set_vf_guid(_, _, _, _, _) err;
    create_wq(_, _, _) err;
    destroy_wq(_) err;
    modify_wq(_, _, _, _) err;
    create_rwq_ind_table(_, _, _) err;
    destroy_rwq_ind_table(_) err;
    alloc_dm(_, _, _, _) err;
    dealloc_dm(_) err;
    alloc_dmah(_, _, _) err;
    dealloc_dmah(_) err;
    reg_dm_mr(_, _, _, _) err;
    create_counters(_, _) err;
    destroy_counters(_) err;
    read_counters(_, _, _) err;
    map_mr_sg_pi(_, _, _, _, _) err;
    alloc_hw_device_stats(_) none;
    alloc_hw_port_stats(_, _) none;
    get_hw_stats(_, _, _, _) err;
    modify_hw_stat(_, _, _, _) err;
    fill_res_mr_entry(_, _) err;
    fill_res_mr_entry_raw(_, _) err;
    fill_res_cq_entry(_, _) err;
    fill_res_cq_entry_raw(_, _) err;
    fill_res_qp_entry(_, _) err;
    fill_res_qp_entry_raw(_, _) err;
    fill_res_cm_id_entry(_, _) err;
    fill_res_srq_entry(_, _) err;
    fill_res_srq_entry_raw(_, _) err;
    enable_driver(_) err;
    dealloc_driver(_) unit;
    iw_add_ref(_) unit;
    iw_rem_ref(_) unit;
    iw_get_qp(_, _) none;
    iw_connect(_, _) err;
    iw_accept(_, _) err;
    iw_reject(_, _) err;
    iw_create_listen(_, _) err;
    iw_destroy_listen(_) err;
    counter_bind_qp(_, _, _) err;
    counter_unbind_qp(_, _) err;
    counter_dealloc(_) err;
    counter_alloc_stats(_) none;
    counter_update_stats(_) err;
    counter_init(_) unit;
    fill_stat_mr_entry(_, _) err;
    query_ucontext(_, _) err;
    get_numa_node(_) none;
    add_sub_dev(_, _, _) err;
    del_sub_dev(_) unit;
    ufile_hw_cleanup(_) unit;
    report_port_event(_, _, _) unit;
}
