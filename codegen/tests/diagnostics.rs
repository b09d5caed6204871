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

/// Before the depth bound, 5000 `&` or 10,000 nested `Vec<` overflowed the
/// parser's stack (SIGABRT, no diagnostic).
#[test]
fn deeply_nested_types_are_refused_not_a_stack_overflow() {
    let refs = format!("{}u8", "&".repeat(5000));
    let vecs = format!("{}u8{}", "Vec<".repeat(10_000), ">".repeat(10_000));
    let deep_expr = format!("{}1", "-".repeat(5000));
    for (from, to, line) in [
        (
            "returns = \"Result<usize, Error>\"",
            format!("returns = \"{refs}\""),
            18,
        ),
        ("\"qp: &Qp\"", format!("\"qp: {vecs}\""), 24),
        (
            "empty = \"DriverId::Unknown\"",
            format!("empty = \"{deep_expr}\""),
            7,
        ),
    ] {
        let e = errors(&with(from, &to));
        assert_eq!(e.len(), 1, "{e:?}");
        let head: String = e[0].chars().take(120).collect();
        assert!(e[0].starts_with(&format!("t.toml:{line}:")), "{head}");
        assert!(
            e[0].contains("levels deep") || e[0].contains("bytes long"),
            "{head}"
        );
    }
    let just_deep = format!("{}u8{}", "Vec<".repeat(40), ">".repeat(40));
    let e = errors(&with("\"qp: &Qp\"", &format!("\"qp: {just_deep}\"")));
    assert!(e[0].contains("nested 40 levels deep; at most 32"), "{e:?}");
    // An ordinary deep-ish type stays valid.
    let fine = with("\"qp: &Qp\"", "\"qp: &Option<Vec<(u8, &[&Qp])>>\"");
    assert!(schema::load("t.toml", &fine).is_ok());
}

/// Names the generated code already uses for methods of the ops struct.
#[test]
fn an_op_named_like_a_generated_method_is_refused() {
    for name in [
        "retain",
        "merge",
        "implemented",
        "missing_mandatory",
        "is_set",
    ] {
        let e = errors(&with(
            "name = \"destroy_qp\"",
            &format!("name = \"{name}\""),
        ));
        assert_eq!(
            e,
            [format!(
                "t.toml:21:8: op name `{name}` is taken by a generated method of the ops struct"
            )]
        );
    }
}

#[test]
fn a_doc_that_would_end_or_nest_a_c_comment_is_refused() {
    for doc in ["Polls /* nested */.", "Polls. */ int x; /*"] {
        let e = errors(&with("doc = \"Polls.\"", &format!("doc = \"{doc}\"")));
        assert_eq!(
            e,
            ["t.toml:16:7: `doc` must not contain `/*` or `*/`: it is emitted inside a C comment"]
        );
    }
}

#[test]
fn a_c_declaration_gcc_would_reject_is_refused() {
    let e = errors(&with(
        "returns = \"Result<usize, Error>\"",
        "returns = \"Result<usize, Error>\"\nc = \"int) (*poll_cq)(struct ib_cq *cq, int n, struct ib_wc *wc);\"",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].contains("unbalanced parentheses"), "{e:?}");
}

/// CRLF and CR-only files: before, a CR-only file gave one TOML error per
/// line, and a CRLF file generated different code from the LF one.
#[test]
fn crlf_and_cr_line_endings_load_like_lf() {
    let lf = schema::load("t.toml", VALID).expect("lf");
    for ending in ["\r\n", "\r"] {
        let other = VALID.replace('\n', ending);
        let loaded = schema::load("t.toml", &other).expect("loads");
        assert_eq!(
            ibops_codegen::emit_all(&loaded),
            ibops_codegen::emit_all(&lf),
            "{ending:?}"
        );
    }
    // Errors are still located by line.
    let e = errors(&with("name = \"destroy_qp\"", "name = \"merge\"").replace('\n', "\r"));
    assert!(e[0].starts_with("t.toml:21:8:"), "{e:?}");
}

/// Before the caps, a 149 KB one-line schema printed 446 MB of errors.
#[test]
fn diagnostics_are_capped_in_number_and_width() {
    // One long line of many errors: unknown keys in an inline table.
    let keys: Vec<String> = (0..2000).map(|i| format!("k{i:04} = 1")).collect();
    let source = format!(
        "struct = \"demo_ops\"\ngroups = [\"qp\"]\nop = [{{ {} }}]\n",
        keys.join(", ")
    );
    let err = schema::load("t.toml", &source).expect_err("invalid");
    let shown = err.to_string();
    let n = err.diagnostics().len();
    assert!(n > 1000, "{n} errors");
    assert!(shown.len() < 50 * 1024, "{} bytes of errors", shown.len());
    assert!(
        shown.contains(&format!("... {} more errors not shown", n - 50)),
        "{}",
        &shown[shown.len().saturating_sub(300)..]
    );
    assert!(shown.ends_with(&format!("{n} errors in t.toml")));
    assert!(shown.contains("t.toml:3:"), "{}", &shown[..400]);
    let widest = shown.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 130, "a quoted line is {widest} characters wide");
}

/// Before the type check, `returns = "Result<FecMode, Error>"` generated,
/// and the error came later from rustc inside `dispatch.rs`.
#[test]
fn a_type_ibops_does_not_export_is_refused_with_a_suggestion() {
    let e = errors(&with(
        "\"Result<usize, Error>\"",
        "\"Result<FecMode, Eror>\"",
    ));
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e[0].starts_with(
            "t.toml:18:19: unknown type `FecMode`: `ibops::prelude` does not export it"
        ),
        "{e:?}"
    );
    assert!(
        e[1].starts_with("t.toml:18:28: unknown type `Eror`: `ibops::prelude` does not export it; did you mean `Error`?"),
        "{e:?}"
    );
}

/// The base schema with a C side whose ops give their own merge lines and
/// dummies, as rdma-core's table does; `ops` replaces both ops' extra keys.
fn with_own_lines(poll_cq: &str, destroy_qp: &str) -> String {
    let text = VALID
        .replace(
            "returns = \"Result<usize, Error>\"\n",
            &format!("returns = \"Result<usize, Error>\"\nc = \"int (*poll_cq)(struct cq *cq, int n, struct wc *wc);\"\n{poll_cq}\n"),
        )
        .replace(
            "params = [\"qp: &Qp\"]\nreturns = \"Result<(), Error>\"\n",
            &format!("params = [\"qp: &Qp\"]\nreturns = \"Result<(), Error>\"\nc = \"void (*destroy_qp)(struct qp *qp);\"\n{destroy_qp}\n"),
        )
        .replace("mandatory = true\n", "");
    format!(
        "{text}\n[target.c]\ninclude = \"demo.h\"\ntitle = \"demo ops\"\ndevice = \"demo_context\"\n\
         device_param = \"ctx\"\nlocals = [\"struct demo_priv *priv = ctx->priv;\"]\n\
         merge_function = \"demo_set_ops\"\ndummy_table = \"demo_dummy_ops\"\n\n\
         [[target.c.macro]]\nname = \"SET_OP\"\nparams = [\"ptr\", \"name\"]\n\
         body = \"if (ops->name)\\n\\tpriv->ops.name = ops->name;\"\n"
    )
}

const POLL_CQ: &str = "set = \"SET_OP(ctx, poll_cq)\"\nset_line = 1\ndummy = \"eopnotsupp\"";
const DESTROY_QP: &str = "set = \"SET_OP(ctx, destroy_qp)\"\nset_line = 2\ndummy = \"nothing\"";

#[test]
fn own_merge_lines_and_dummies_are_accepted() {
    let s = schema::load("t.toml", &with_own_lines(POLL_CQ, DESTROY_QP)).expect("valid");
    let lines: Vec<String> = s
        .ops
        .iter()
        .filter_map(|op| op.set.as_ref().map(ToString::to_string))
        .collect();
    assert_eq!(lines, ["SET_OP(ctx, poll_cq)", "SET_OP(ctx, destroy_qp)"]);
}

/// The one error of the own-lines schema with `from` in `poll_cq`'s keys
/// replaced by `to`.
fn own_lines_error(from: &str, to: &str) -> String {
    assert!(POLL_CQ.contains(from), "{from:?}");
    let e = errors(&with_own_lines(&POLL_CQ.replacen(from, to, 1), DESTROY_QP));
    assert_eq!(e.len(), 1, "{e:?}");
    e[0].clone()
}

#[test]
fn a_merge_line_with_an_undefined_macro() {
    let e = own_lines_error("SET_OP(", "SET_OPP(");
    assert!(
        e.contains(
            "uses `SET_OPP`, which [[target.c.macro]] does not define; did you mean `SET_OP`?"
        ),
        "{e}"
    );
}

#[test]
fn a_merge_line_with_the_wrong_arguments() {
    let e = own_lines_error("(ctx, poll_cq)", "(ctx, poll_cq, x)");
    assert!(e.contains("gives 3 arguments, but `SET_OP` takes 2"), "{e}");
    let e = own_lines_error("(ctx, poll_cq)", "(ctx, destroy_qp)");
    assert!(e.contains("merges `destroy_qp`, not op `poll_cq`"), "{e}");
    let e = own_lines_error("(ctx, poll_cq)", "(ctx, 2)");
    assert!(
        e.contains("merge line argument `2` is not a C identifier"),
        "{e}"
    );
}

#[test]
fn merge_line_positions_are_each_used_once() {
    let e = own_lines_error("set_line = 1", "set_line = 2");
    assert!(e.contains("`set_line = 2` of "), "{e}");
    let e = own_lines_error("set_line = 1", "set_line = 3");
    assert!(e.contains("past the last line: there are 2 ops"), "{e}");
    let e = own_lines_error("set_line = 1", "set_line = 0");
    assert!(e.contains("`set_line` counts from 1"), "{e}");
    let e = own_lines_error("set_line = 1\n", "");
    assert!(e.contains("`set` needs `set_line`"), "{e}");
}

#[test]
fn every_op_gives_a_line_or_none_does() {
    let e = errors(&with_own_lines("dummy = \"eopnotsupp\"", DESTROY_QP));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("op `poll_cq` has no `set` line, but other ops do"),
        "{e:?}"
    );
}

#[test]
fn dummies_answer_as_their_c_prototype_returns() {
    let e = own_lines_error("dummy = \"eopnotsupp\"", "");
    assert!(e.contains("op `poll_cq` has no `dummy`"), "{e}");
    let e = own_lines_error("dummy = \"eopnotsupp\"", "dummy = \"nothing\"");
    assert!(
        e.contains("returns a value in C, but its dummy returns none"),
        "{e}"
    );
    let e = own_lines_error("dummy = \"eopnotsupp\"", "dummy = \"eopnotsup\"");
    assert!(
        e.contains("unknown dummy `eopnotsup`; did you mean `eopnotsupp`?"),
        "{e}"
    );
    let e = own_lines_error(
        "dummy = \"eopnotsupp\"",
        "dummy = { default = \"f\", returns = \"0\" }",
    );
    assert!(
        e.contains("a `default` function or what it returns, not both"),
        "{e}"
    );
    let e = errors(&with_own_lines(
        POLL_CQ,
        &DESTROY_QP.replace("\"nothing\"", "\"errno-null\""),
    ));
    assert!(
        e.iter()
            .any(|e| e.contains("`destroy_qp` returns void in C, but its dummy returns a value")),
        "{e:?}"
    );
}

#[test]
fn a_merge_macro_needs_a_name_parameter() {
    let text = with_own_lines(POLL_CQ, DESTROY_QP)
        .replace("params = [\"ptr\", \"name\"]", "params = [\"ptr\", \"op\"]");
    let e = errors(&text);
    assert!(
        e.iter()
            .any(|e| e.contains("a merge macro needs a parameter called `name`")),
        "{e:?}"
    );
}
