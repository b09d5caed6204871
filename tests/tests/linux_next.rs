//! Today's kernel: `check-c` on the merge function of linux-next
//! (`tests/fixtures/linux-next/device.c`, its lines as in the commit the
//! fixture names) and on planted faults, the C emitted from `ops.toml`
//! against the same set of merge lines, and `diff` from the seed's table to
//! today's.

use std::path::{Path, PathBuf};

use ibops_codegen::c::check::{Report, check, check_struct};
use ibops_codegen::c::{emit_c, import};
use ibops_codegen::diff::{ChangeKind, diff};
use ibops_codegen::{Schema, load_schema};

const DEVICE_C: &str = include_str!("../fixtures/linux-next/device.c");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn today() -> Schema {
    load_schema(&root(), Path::new("ops.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn seed() -> Schema {
    load_schema(&root(), Path::new("schemas/seed.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// Asserts that one of `errors` contains `needle`.
#[track_caller]
fn assert_mentions(errors: &[String], needle: &str) {
    assert!(
        errors.iter().any(|e| e.contains(needle)),
        "no error mentions {needle:?}: {errors:?}"
    );
}

/// `check-c` of `text` against today's schema.
fn check_today(text: &str) -> Report {
    check("device.c", text, &today())
}

/// The fixture with `from` replaced by `to` (which must be there).
fn planted(from: &str, to: &str) -> String {
    assert!(DEVICE_C.contains(from), "fixture lacks {from:?}");
    DEVICE_C.replacen(from, to, 1)
}

#[test]
fn the_real_function_misses_nothing_and_names_its_unsorted_lines() {
    let report = check_today(DEVICE_C);
    assert_eq!(report.errors(), Vec::<String>::new(), "{report}");
    assert_eq!(report.checked, 130 + 12);
    let unsorted: Vec<(usize, &str)> = report
        .findings
        .iter()
        .map(|f| (f.line, f.message.split('`').nth(1).unwrap_or("")))
        .collect();
    assert_eq!(
        unsorted,
        [
            (65, "create_flow"),
            (91, "detach_mcast"),
            (129, "mmap_free"),
            (141, "poll_cq"),
            (168, "report_port_event"),
        ],
        "{report}"
    );
}

#[test]
fn a_deleted_line_is_found() {
    let report = check_today(&planted(
        "\tSET_DEVICE_OP(dev_ops, query_port_speed);\n",
        "",
    ));
    let e = report.errors();
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("no `SET_DEVICE_OP(.., query_port_speed)`"),
        "{e:?}"
    );
}

#[test]
fn a_flag_ored_with_itself_is_found() {
    let report = check_today(&planted(
        "dev_ops->uverbs_no_driver_id_binding |=\n\t\tops->uverbs_no_driver_id_binding;",
        "dev_ops->uverbs_no_driver_id_binding |=\n\t\tdev_ops->uverbs_no_driver_id_binding;",
    ));
    let e = report.errors();
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("37: "), "{e:?}");
    assert!(e[0].contains("merged with itself"), "{e:?}");
}

#[test]
fn a_duplicate_and_a_typo_are_found() {
    let text = planted(
        "\tSET_DEVICE_OP(dev_ops, post_send);\n",
        "\tSET_DEVICE_OP(dev_ops, post_sned);\n\tSET_DEVICE_OP(dev_ops, post_recv);\n",
    );
    let e = check_today(&text).errors();
    assert_mentions(&e, "`SET_DEVICE_OP(.., post_recv)` again");
    assert_mentions(&e, "`SET_DEVICE_OP(.., post_sned)` names no member");
    assert_mentions(&e, "no `SET_DEVICE_OP(.., post_send)`");
    assert_eq!(e.len(), 3, "{e:?}");
}

#[test]
fn a_missing_obj_size_and_a_member_against_its_policy_are_found() {
    let text = planted("\tSET_OBJ_SIZE(dev_ops, ib_dmah);\n", "")
        .replacen(
            "\tSET_DEVICE_OP(dev_ops, add_gid);\n",
            "\tSET_DEVICE_OP(dev_ops, add_gid);\n\tSET_DEVICE_OP(dev_ops, driver_id);\n",
            1,
        )
        .replacen(
            "\t\tdev_ops->uverbs_abi_ver = ops->uverbs_abi_ver;",
            "\t\tdev_ops->uverbs_abi_ver |= ops->uverbs_abi_ver;",
            1,
        );
    let e = check_today(&text).errors();
    assert_mentions(&e, "no `SET_OBJ_SIZE(.., ib_dmah)`");
    assert_mentions(&e, "`driver_id` has its own merge policy");
    assert_mentions(
        &e,
        "`uverbs_abi_ver` is merged with `|=` but its policy is `overwrite`",
    );
    assert_eq!(e.len(), 3, "{e:?}");
}

#[test]
fn without_the_function_it_says_so() {
    let report = check_today("int main(void) { ib_set_device_ops(&dev, &ops); return 0; }");
    assert_eq!(
        report.errors(),
        ["0: no definition of `ib_set_device_ops()` found"]
    );
}

/// The generated C source and header, as text.
fn emitted() -> (String, String) {
    let files = emit_c(&today()).unwrap_or_else(|e| panic!("{e}"));
    let find = |ext: &str| {
        files
            .iter()
            .find(|f| f.path.extension().is_some_and(|e| e == ext))
            .map(|f| f.contents.clone())
            .unwrap_or_default()
    };
    (find("c"), find("h"))
}

/// The names of `MACRO(ptr, name)` lines in `text`, sorted.
fn merged_names(text: &str, mac: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix(mac)?.strip_prefix('('))
        .filter_map(|args| args.split([',', ')']).nth(1))
        .map(|name| name.trim().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_emitted_function_merges_exactly_what_the_kernels_does() {
    let (source, _) = emitted();
    for mac in ["SET_DEVICE_OP", "SET_OBJ_SIZE"] {
        assert_eq!(
            merged_names(&source, mac),
            merged_names(DEVICE_C, mac),
            "{mac}"
        );
    }
    assert_eq!(merged_names(&source, "SET_DEVICE_OP").len(), 130);
    assert_eq!(merged_names(&source, "SET_OBJ_SIZE").len(), 12);
    // Ours is sorted and complete: check-c has nothing to say about it.
    let report = check_today(&source);
    assert!(report.findings.is_empty(), "{report}");
}

#[test]
fn the_emitted_struct_matches_the_schema() {
    let (_, header) = emitted();
    let imported = import::import(&header, "ib_device_ops").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(imported.members.len(), 6 + 128 + 12);
    let report = check_struct("ib_device_ops.h", &imported, &today());
    assert!(report.findings.is_empty(), "{report}");
    // A struct that lost an op and gained one is reported both ways.
    let changed = header.replacen("(*query_port_speed)", "(*query_port_sped)", 1);
    let imported = import::import(&changed, "ib_device_ops").unwrap_or_else(|e| panic!("{e}"));
    let e = check_struct("h", &imported, &today()).errors();
    assert_eq!(e.len(), 2, "{e:?}");
    assert_mentions(&e, "`query_port_sped` is in the header's struct");
    assert_mentions(&e, "op `query_port_speed` is not in the header's struct");
}

#[test]
fn seed_to_today_in_one_diff() {
    let d = diff("seed", &seed(), "today", &today());
    let counts: Vec<(&str, usize)> = ChangeKind::ALL
        .iter()
        .map(|k| (k.name(), d.count(*k)))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(
        counts,
        [
            ("op-removed", 7),
            ("op-renamed", 1),
            ("op-added", 49),
            ("rust-signature", 1),
            ("c-prototype", 39),
            ("member-added", 2),
            ("obj-size-added", 12),
        ]
    );
    let renamed = d
        .changes
        .iter()
        .find(|c| c.kind == ChangeKind::OpRenamed)
        .map(|c| (c.name.as_str(), c.detail.as_str()));
    // Declared in ops.toml, not guessed.
    assert_eq!(
        renamed,
        Some((
            "alloc_hw_stats -> alloc_hw_port_stats",
            "`alloc_hw_port_stats` says `renamed_from = \"alloc_hw_stats\"`"
        ))
    );
    assert!(d.is_breaking());
    // Additions break no provider; removals, renames and signatures do.
    for c in &d.changes {
        let breaks = matches!(
            c.kind,
            ChangeKind::OpRemoved
                | ChangeKind::OpRenamed
                | ChangeKind::RustSignature
                | ChangeKind::CPrototype
        );
        assert_eq!(c.breaking, breaks, "{c:?}");
    }
    let json = d.to_json();
    assert!(
        json.starts_with("{\"old\":\"seed\",\"new\":\"today\",\"breaking\":48,"),
        "{json}"
    );
    assert!(
        json.contains(
            "{\"kind\":\"op-renamed\",\"name\":\"alloc_hw_stats -> alloc_hw_port_stats\""
        )
    );
    // A schema against itself: nothing changed, nothing breaks.
    let same = diff("a", &today(), "b", &today());
    assert!(same.changes.is_empty() && !same.is_breaking());
}

/// Before the shared lexer, `function()` counted braces inside strings: a
/// `pr_debug("} merging ops\n");` at the top of the real function turned
/// "142 merge lines, 0 errors" into "0 merge lines, 146 errors"; and a
/// character literal `'"'` earlier in the file read as the start of a
/// string, so no comment after it was stripped.
#[test]
fn strings_and_character_literals_do_not_derail_the_reader() {
    let top = "\tstruct ib_device_ops *dev_ops = &dev->ops;\n";
    let text = planted(
        top,
        &format!("\tpr_debug(\"}} merging ops {{ '\\n\");\n{top}"),
    );
    let report = check_today(&text);
    assert_eq!(report.errors(), Vec::<String>::new(), "{report}");
    assert_eq!(report.checked, 130 + 12);
    let quote = format!("static const char quote = '\"';\n{DEVICE_C}");
    let hidden = "\tSET_DEVICE_OP(dev_ops, add_gid);\n";
    let commented = quote.replacen(hidden, "\t/* SET_DEVICE_OP(dev_ops, add_gid); */\n", 1);
    assert!(commented != quote, "fixture lacks {hidden:?}");
    let errors = check_today(&commented).errors();
    assert_mentions(&errors, "no `SET_DEVICE_OP(.., add_gid)`");
}

/// Each line of the report is capped, escaped and counted: a merge line
/// with a terminal escape sequence in it reaches the terminal as `\u{1b}`,
/// and 80,000 duplicate lines print 50 findings and a count. Before the
/// fix the escape reached the terminal raw and every line was printed
/// (80,147 for 80k duplicates).
#[test]
fn the_report_is_capped_and_escaped() {
    let line = "\tSET_DEVICE_OP(dev_ops, add_gid);\n";
    let hostile = planted(
        line,
        &format!("{line}\tSET_DEVICE_OP(dev_ops, x\u{1b}[31mred\u{7});\n"),
    );
    let shown = check_today(&hostile).to_string();
    assert!(
        !shown.contains('\u{1b}') && shown.contains("x\\u{1b}[31mred\\u{7}"),
        "{shown}"
    );
    let many = planted(line, &line.repeat(80_000));
    let report = check_today(&many);
    assert!(report.findings.len() >= 79_999);
    let shown = report.to_string();
    assert!(
        shown.lines().count() <= 52,
        "{} lines",
        shown.lines().count()
    );
    assert!(shown.contains("more not shown"), "{shown}");
}

/// Before suggestions, a misspelt merge line was only "names no member".
#[test]
fn a_misspelt_merge_line_gets_a_suggestion() {
    let text = planted(
        "\tSET_DEVICE_OP(dev_ops, query_gid);\n",
        "\tSET_DEVICE_OP(dev_ops, query_gdi);\n",
    );
    let errors = check_today(&text).errors();
    assert_mentions(
        &errors,
        "`SET_DEVICE_OP(.., query_gdi)` names no member of the schema; did you mean `query_gid`?",
    );
}
