//! `coverage` on C drivers' tables (rxe and siw, `tests/fixtures/drivers/`,
//! each naming its source) and on the Rust reference provider read from its
//! derived tables, checked against what the soft device registers at run
//! time.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ibops_codegen::coverage::{Coverage, read_c};
use ibops_codegen::coverage_of;
use ibops_soft::SoftConfig;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn matrix() -> Coverage {
    let sources = [
        ("rxe", "tests/fixtures/drivers/rxe_verbs.c"),
        ("siw", "tests/fixtures/drivers/siw_main.c"),
        ("soft", "soft/src/ops.rs"),
    ]
    .map(|(name, path)| (name.to_owned(), root().join(path)));
    coverage_of(&root(), Path::new("ops.toml"), &sources).unwrap_or_else(|e| panic!("{e}"))
}

/// The ops column `provider` implements.
fn column(c: &Coverage, provider: &str) -> BTreeSet<String> {
    let i = c
        .providers
        .iter()
        .position(|p| p == provider)
        .unwrap_or_else(|| panic!("no {provider}"));
    c.ops
        .iter()
        .filter(|r| r.by[i])
        .map(|r| r.name.clone())
        .collect()
}

#[test]
fn the_drivers_columns_and_what_the_matrix_shows() {
    let c = matrix();
    assert_eq!(c.providers, ["rxe", "siw", "soft"]);
    let (rxe, siw, soft) = (column(&c, "rxe"), column(&c, "siw"), column(&c, "soft"));
    assert_eq!((rxe.len(), siw.len(), soft.len()), (49, 39, 34));
    // iWARP connection management is siw's alone; address handles are not.
    assert!(siw.contains("iw_connect") && !rxe.contains("iw_connect"));
    assert!(rxe.contains("create_ah") && !siw.contains("create_ah"));
    // Every mandatory op everywhere.
    assert!(
        c.missing_mandatory.iter().all(|(_, m)| m.is_empty()),
        "{:?}",
        c.missing_mandatory
    );
    // rxe's table (a newer kernel) names an op today's schema does not have.
    assert_eq!(
        c.unknown,
        [
            ("rxe".to_owned(), vec!["resize_user_cq".to_owned()]),
            ("siw".to_owned(), vec![]),
            ("soft".to_owned(), vec![])
        ]
    );
    let unimplemented = c.unimplemented();
    assert_eq!(unimplemented.len(), 66);
    assert!(unimplemented.contains(&"get_netdev") && unimplemented.contains(&"add_gid"));
    assert!(!unimplemented.contains(&"post_send"));
}

#[test]
fn the_rust_column_is_what_the_soft_device_registers() {
    let dev = SoftConfig::new("soft-coverage").probe().expect("probe");
    let registered: BTreeSet<String> = dev
        .ops()
        .implemented()
        .map(|op| op.name().to_owned())
        .collect();
    assert_eq!(column(&matrix(), "soft"), registered);
}

#[test]
fn text_json_and_html_forms() {
    let c = matrix();
    let text = c.to_string();
    assert!(text.starts_with("op "), "{text}");
    assert!(
        text.contains("ops implemented: rxe 49, siw 39, soft 34 of 128"),
        "{text}"
    );
    assert!(text.contains("rxe sets names that are not in the schema: resize_user_cq"));
    let json = c.to_json();
    assert!(
        json.starts_with(
            "{\"providers\":[\"rxe\",\"siw\",\"soft\"],\"ops\":[{\"op\":\"post_send\""
        )
    );
    assert!(json.contains("\"unknown\":{\"rxe\":[\"resize_user_cq\"],\"siw\":[],\"soft\":[]}"));
    let html = c.to_html();
    assert!(html.starts_with("<!doctype html>"));
    assert_eq!(html.matches("<tr><td>").count(), 128);
    assert!(html.contains("addEventListener('click'"), "sortable");
}

#[test]
fn a_text_without_a_table_is_an_error() {
    let err = read_c(
        "x",
        "struct ib_device_ops *ops;",
        "ib_device_ops",
        "INIT_RDMA_OBJ_SIZE",
    )
    .expect_err("no table");
    assert!(
        err.to_string()
            .contains("no `struct ib_device_ops NAME = { ... };`"),
        "{err}"
    );
    // Several tables in one file merge as their union.
    let two = "static const struct ib_device_ops a = { .post_send = s, };\n\
               static const struct ib_device_ops b = { .poll_cq = p, /* c */ INIT_RDMA_OBJ_SIZE(ib_qp, q, b), };";
    let p = read_c("two", two, "ib_device_ops", "INIT_RDMA_OBJ_SIZE").expect("two tables");
    assert_eq!(
        p.fields.iter().map(String::as_str).collect::<Vec<_>>(),
        ["poll_cq", "post_send", "size_ib_qp"]
    );
}

/// Before suggestions, a misspelt field was only listed as unknown.
#[test]
fn a_misspelt_field_gets_a_suggestion() {
    let text =
        "static const struct ib_device_ops o = {\n\t.qurey_device = q,\n\t.post_send = p,\n};\n";
    let provider = read_c("typo", text, "ib_device_ops", "INIT_RDMA_OBJ_SIZE").expect("reads");
    let schema = ibops_codegen::load_schema(&root(), Path::new("ops.toml")).expect("schema");
    let c = ibops_codegen::coverage::coverage(&schema, &[provider]);
    assert_eq!(
        c.suggestions.get("qurey_device").map(String::as_str),
        Some("query_device")
    );
    assert!(
        c.to_string().contains(
            "typo sets names that are not in the schema: qurey_device (did you mean query_device?)"
        ),
        "{c}"
    );
    assert!(
        c.to_json()
            .contains("\"suggestions\":{\"qurey_device\":\"query_device\"}")
    );
}
