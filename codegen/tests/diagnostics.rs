//! Each class of schema error: its message and its `line:col`.

use ibops_codegen::schema;

/// A small valid schema; tests break one thing at a time.
const VALID: &str = r#"struct = "demo_ops"
groups = ["qp", "cq"]

[[member]]
name = "driver_id"
type = "DriverId"
empty = "DriverId::Unknown"
policy = "conflict"
attr = "path"
doc = "Which driver."

[[op]]
name = "poll_cq"
group = "cq"
mandatory = true
doc = "Polls."
params = ["cq: &Cq", "wc: &mut [WorkCompletion]"]
returns = "Result<usize, Error>"

[[op]]
name = "destroy_qp"
group = "qp"
doc = "Destroys."
params = ["qp: &Qp"]
returns = "Result<(), Error>"
"#;

/// The `file:line:col: message` lines for `source`, or a failure if it loads.
fn errors(source: &str) -> Vec<String> {
    match schema::load("t.toml", source) {
        Ok(_) => panic!("schema unexpectedly valid:\n{source}"),
        Err(e) => e.summary(),
    }
}

fn with(from: &str, to: &str) -> String {
    assert!(VALID.contains(from), "fixture lacks {from:?}");
    VALID.replacen(from, to, 1)
}

#[test]
fn the_base_schema_is_valid() {
    let s = schema::load("t.toml", VALID).expect("valid");
    assert_eq!(s.ops.len(), 2);
    assert_eq!(s.members.len(), 1);
    assert_eq!(s.mandatory().count(), 1);
}

#[test]
fn toml_syntax_error() {
    let e = errors(&with("doc = \"Polls.\"", "doc = \"Polls."));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("t.toml:16:"), "{e:?}");
    assert!(e[0].contains("TOML syntax error"), "{e:?}");
}

#[test]
fn unknown_key() {
    let e = errors(&with("mandatory = true", "mandatroy = true"));
    assert_eq!(e, ["t.toml:15:1: unknown key `mandatroy` in [[op]]"]);
}

#[test]
fn missing_required_key() {
    let e = errors(&with("returns = \"Result<(), Error>\"\n", ""));
    assert_eq!(e, ["t.toml:20:1: missing required key `returns` in [[op]]"]);
}

#[test]
fn duplicate_op_name() {
    let e = errors(&with("name = \"destroy_qp\"", "name = \"poll_cq\""));
    assert_eq!(e, ["t.toml:21:8: duplicate op `poll_cq`"]);
}

#[test]
fn op_name_not_an_identifier() {
    let e = errors(&with("name = \"poll_cq\"", "name = \"poll-cq\""));
    assert_eq!(
        e,
        ["t.toml:13:8: op name `poll-cq` is not a Rust identifier"]
    );
}

#[test]
fn op_name_is_a_keyword() {
    let e = errors(&with("name = \"destroy_qp\"", "name = \"type\""));
    assert_eq!(e, ["t.toml:21:8: op name `type` is a Rust keyword"]);
}

#[test]
fn duplicate_parameter_name() {
    let e = errors(&with(
        "\"wc: &mut [WorkCompletion]\"",
        "\"cq: &mut [WorkCompletion]\"",
    ));
    assert_eq!(e, ["t.toml:17:23: duplicate parameter `cq`"]);
}

#[test]
fn parameter_type_does_not_parse() {
    let e = errors(&with("\"cq: &Cq\"", "\"cq: &&<Cq\""));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("t.toml:17:16: `&&<Cq` is not a valid Rust type"),
        "{e:?}"
    );
}

#[test]
fn return_type_does_not_parse() {
    let e = errors(&with("\"Result<usize, Error>\"", "\"Result<usize, Error\""));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("t.toml:18:12: `Result<usize, Error` is not a valid Rust return type"),
        "{e:?}"
    );
}

#[test]
fn unknown_group() {
    let e = errors(&with("group = \"qp\"", "group = \"queue\""));
    assert_eq!(e, ["t.toml:22:9: unknown group `queue`"]);
}

#[test]
fn unknown_merge_policy() {
    let e = errors(&with("policy = \"conflict\"", "policy = \"first\""));
    assert_eq!(e, ["t.toml:8:10: unknown member merge policy `first`"]);
    let e = errors(&with(
        "struct = \"demo_ops\"",
        "struct = \"demo_ops\"\nmerge = \"newest\"",
    ));
    assert_eq!(e, ["t.toml:2:9: unknown op merge policy `newest`"]);
}

#[test]
fn empty_op_list() {
    let source = "struct = \"x\"\ngroups = [\"qp\"]\nop = []\n";
    assert_eq!(
        errors(source),
        ["t.toml:3:6: the schema has no ops: add at least one [[op]]"]
    );
    let source = "struct = \"x\"\ngroups = [\"qp\"]\n";
    assert_eq!(
        errors(source),
        ["t.toml:1:1: missing required key `op` in the schema's top level"]
    );
}

#[test]
fn wrong_value_type() {
    let e = errors(&with("mandatory = true", "mandatory = \"yes\""));
    assert_eq!(
        e,
        ["t.toml:15:13: `mandatory` must be true or false, found string"]
    );
}

#[test]
fn every_error_is_reported_at_once_in_file_order() {
    let source = with("group = \"qp\"", "group = \"queue\"")
        .replacen("name = \"poll_cq\"", "name = \"fn\"", 1)
        .replacen("mandatory = true", "mandatroy = true", 1);
    assert_eq!(
        errors(&source),
        [
            "t.toml:13:8: op name `fn` is a Rust keyword",
            "t.toml:15:1: unknown key `mandatroy` in [[op]]",
            "t.toml:22:9: unknown group `queue`",
        ]
    );
}

#[test]
fn rendered_errors_show_the_line_and_a_caret() {
    let err = schema::load(
        "t.toml",
        &with("name = \"destroy_qp\"", "name = \"poll_cq\""),
    )
    .expect_err("duplicate");
    let text = err.to_string();
    assert!(text.contains("error: duplicate op `poll_cq`"), "{text}");
    assert!(text.contains("t.toml:21:8"), "{text}");
    assert!(text.contains("name = \"poll_cq\""), "{text}");
    assert!(text.contains("first defined here"), "{text}");
    assert!(text.contains("^^^^^^^^^"), "{text}");
}

/// The base schema with `c` declared on `poll_cq` (line 19).
fn with_c(c: &str) -> String {
    with(
        "returns = \"Result<usize, Error>\"\n",
        &format!("returns = \"Result<usize, Error>\"\nc = \"{c}\"\n"),
    )
}

#[test]
fn a_c_declaration_of_the_op_is_accepted() {
    let s = schema::load(
        "t.toml",
        &with_c("int (*poll_cq)(struct ib_cq *cq, int num_entries, struct ib_wc *wc);"),
    )
    .expect("valid");
    assert_eq!(s.ops[0].c.as_ref().map(|c| c.params.len()), Some(3));
}

#[test]
fn c_declaration_naming_another_op() {
    let e = errors(&with_c("int (*peek_cq)(struct ib_cq *cq);"));
    assert_eq!(
        e,
        ["t.toml:19:5: the C declaration names `peek_cq`, not `poll_cq`"]
    );
}

#[test]
fn c_declaration_of_an_op_that_is_a_field() {
    let e = errors(&with_c("int poll_cq;"));
    assert_eq!(
        e,
        [
            "t.toml:19:5: op `poll_cq` is declared in C as a plain field, not `RET (*poll_cq)(PARAMS);`"
        ]
    );
}

#[test]
fn c_declaration_that_does_not_parse() {
    let e = errors(&with_c("int (*poll_cq)(struct ib_cq *cq;"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("t.toml:19:5: invalid C declaration: unbalanced parentheses"),
        "{e:?}"
    );
}

#[test]
fn c_declaration_of_a_member_that_is_a_function_pointer() {
    let e = errors(&with(
        "doc = \"Which driver.\"",
        "doc = \"Which driver.\"\nc = \"int (*driver_id)(void);\"",
    ));
    assert_eq!(
        e,
        [
            "t.toml:11:5: member `driver_id` is declared in C as a function pointer; make it an [[op]]"
        ]
    );
}
