//! Snapshots of expansions (expander output parsed as `syn::File` and
//! pretty-printed), plus the error texts of each error class.

use proc_macro2::TokenStream;
use quote::quote;

use crate::IB_DEVICE_OPS;
use crate::expand;

fn pretty(tokens: TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(e) => panic!("expansion does not parse: {e}\n{tokens}"),
    }
}

/// The messages of the `compile_error!`s an expansion starts with.
fn errors(tokens: TokenStream) -> Vec<String> {
    let file: syn::File = syn::parse2(tokens).expect("expansion parses");
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Macro(m)
                if m.mac
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "compile_error") =>
            {
                let lit: syn::LitStr = m.mac.parse_body().expect("message");
                Some(lit.value())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn minimal_table() {
    insta::assert_snapshot!(pretty(expand::derive(
        quote! {
            #[device_ops(query_device, poll_cq)]
            struct MinimalOps;
        },
        &IB_DEVICE_OPS
    )));
}

#[test]
fn renamed_paths() {
    insta::assert_snapshot!(pretty(expand::derive(
        quote! {
            #[device_ops(query_device, post_send = my::send, poll_cq = crate::cq::poll)]
            struct RenamedOps;
        },
        &IB_DEVICE_OPS
    )));
}

#[test]
fn object_sizes_and_static_members() {
    insta::assert_snapshot!(pretty(expand::derive(
        quote! {
            #[device_ops(obj_size(qp = MyQp, cq = Arc<MyCq>), device_group = MY_GROUP)]
            #[device_ops(query_device)]
            struct SizedOps;
        },
        &IB_DEVICE_OPS
    )));
}

#[test]
fn object_size_errors_name_the_key_and_suggest() {
    let e = errors(expand::derive(
        quote! {
            #[device_ops(obj_size(qpp = MyQp, qp = A), obj_size(qp = B), obj_size, query_device(x = T))]
            #[device_ops(device_group = 3)]
            struct BadSizes;
        },
        &IB_DEVICE_OPS,
    ));
    assert_eq!(
        e,
        [
            "unknown object size `qpp`; did you mean `qp`?",
            "duplicate object size `qp`",
            "`obj_size` takes a list of object types, e.g. `obj_size(qp = MyQp, cq = MyCq)`",
            "`query_device` takes no list: only `obj_size(key = Type, ...)` does",
            "member `device_group` takes a path to a `static`, e.g. `MY_ATTRIBUTES`",
        ]
    );
}

#[test]
fn members() {
    insta::assert_snapshot!(pretty(expand::derive(
        quote! {
            #[device_ops(driver_id = DriverId::Soft, owner = OWNER, uverbs_abi_ver = 1)]
            #[device_ops(uverbs_no_driver_id_binding, query_device)]
            struct MemberOps;
        },
        &IB_DEVICE_OPS
    )));
}

#[test]
fn mandatory_form() {
    insta::assert_snapshot!(pretty(expand::derive(
        quote! {
            #[device_ops(mandatory)]
            #[device_ops(query_device, query_port, alloc_pd, dealloc_pd, create_qp, modify_qp)]
            #[device_ops(destroy_qp, post_send, post_recv, create_cq, destroy_cq, poll_cq)]
            #[device_ops(req_notify_cq, get_dma_mr, reg_user_mr, dereg_mr, get_port_immutable)]
            struct FullOps;
        },
        &IB_DEVICE_OPS
    )));
}

#[test]
fn generic_provider() {
    insta::assert_snapshot!(pretty(expand::derive(
        quote! {
            #[device_ops(post_send, poll_cq)]
            struct HwOps<T: Backend, const N: usize> where T: Send { _t: T }
        },
        &IB_DEVICE_OPS
    )));
}

#[test]
fn impl_block_form() {
    insta::assert_snapshot!(pretty(expand::attribute(
        quote!(driver_id = DriverId::Soft),
        quote! {
            impl SoftOps {
                fn post_send(qp: &Qp, wrs: &[SendWr]) -> Result<(), Error> { Ok(()) }
                fn poll_cq(cq: &Cq, wc: &mut [WorkCompletion]) -> Result<usize, Error> { Ok(0) }
            }
        },
        &IB_DEVICE_OPS
    )));
}

/// Before `renamed_from`, a provider still naming an op by its old name
/// got a "did you mean" of some other op close in spelling.
#[test]
fn a_renamed_op_is_answered_with_its_new_name() {
    let out = expand::derive(
        quote! {
            #[device_ops(alloc_hw_stats)]
            struct Old;
        },
        &IB_DEVICE_OPS,
    );
    assert_eq!(
        errors(out),
        ["`alloc_hw_stats` was renamed to `alloc_hw_port_stats`"]
    );
}

#[test]
fn all_errors_are_reported_at_once_with_a_stub_impl() {
    let out = expand::derive(
        quote! {
            #[device_ops(post_sned, poll_cq, poll_cq, mandatroy, driver_id = 3)]
            #[device_ops(uverbs_abi_ver = DriverId::Soft, uverbs_no_driver_id_binding = true)]
            struct Broken;
        },
        &IB_DEVICE_OPS,
    );
    assert_eq!(
        errors(out.clone()),
        [
            "unknown op or key `post_sned`; did you mean `post_send`?",
            "duplicate op `poll_cq`",
            "`poll_cq` is first named here",
            "unknown op or key `mandatroy`; did you mean `mandatory`?",
            "member `driver_id` takes a path to a constant, e.g. `DriverId::Soft`, not a literal",
            "member `uverbs_abi_ver` takes an integer literal, e.g. `1`",
            "member `uverbs_no_driver_id_binding` takes no value: write just `uverbs_no_driver_id_binding` to set it",
        ]
    );
    assert!(pretty(out).contains("const OPS: ::ibops::IbDeviceOps = ::ibops::IbDeviceOps::EMPTY;"));
}

#[test]
fn mandatory_lists_every_missing_op() {
    let out = expand::derive(
        quote! {
            #[device_ops(mandatory, query_device, post_send)]
            struct Partial;
        },
        &IB_DEVICE_OPS,
    );
    let errors = errors(out);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .starts_with("`mandatory`: this table lacks 15 mandatory ops: post_recv, poll_cq, "),
        "{}",
        errors[0]
    );
}

#[test]
fn unions_and_helpers_are_refused() {
    let out = expand::derive(
        quote! { #[device_ops(poll_cq)] union U { a: u32 } },
        &IB_DEVICE_OPS,
    );
    assert!(errors(out)[0].contains("structs and enums"));
    let out = expand::attribute(
        quote!(),
        quote! { impl SoftOps { fn poll_qc() {} fn helper() {} } },
        &IB_DEVICE_OPS,
    );
    assert_eq!(
        errors(out),
        [
            "`poll_qc` is not an op; did you mean `poll_cq`? (helper functions belong in another impl block)",
            "`helper` is not an op of ib_device_ops (helper functions belong in another impl block)",
        ]
    );
}

/// rdma-core's table: the same derive over another `TableSpec`, every path
/// of the expansion from it.
#[test]
fn verbs_context_ops_table() {
    let out = expand::derive(
        quote! {
            #[verbs_ops(alloc_pd, poll_cq = common::poll)]
            struct UserOps;
        },
        &crate::VERBS_CONTEXT_OPS,
    );
    let text = pretty(out);
    assert!(!text.contains("ibops::IbDeviceOps"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn verbs_context_ops_errors_name_their_table() {
    let out = expand::derive(
        quote! {
            #[verbs_ops(alloc_ucontext, post_sendd, obj_size(qp = MyQp))]
            struct UserOps;
        },
        &crate::VERBS_CONTEXT_OPS,
    );
    assert_eq!(
        errors(out),
        [
            "unknown op or key `alloc_ucontext`: not an op or member of verbs_context_ops",
            "unknown op or key `post_sendd`; did you mean `post_send`?",
            "unknown op or key `obj_size`: not an op or member of verbs_context_ops",
        ]
    );
}
