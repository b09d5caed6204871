//! An `import-c` skeleton is not a schema until a person finishes it: each
//! entry carries a `todo` marker the loader refuses, and once the markers
//! are gone, a signature that does not fit its C prototype is a warning.
//!
//! Before the marker, the skeleton filled in mechanically (groups set,
//! every `# TODO` dropped) loaded as a schema of zero-parameter ops whose
//! `int` results were guessed as `Result<(), Error>`.

use ibops_codegen::c::import::import;
use ibops_codegen::schema;

const HEADER: &str = "struct demo_ops {
	enum rdma_driver_id driver_id;
	int (*poll_cq)(struct ib_cq *cq, int num_entries, struct ib_wc *wc);
	int (*get_numa_node)(struct ib_device *dev);
	struct ib_pd *(*alloc_pd)(struct ib_device *dev);
	void (*drain_sq)(struct ib_qp *qp);
};
";

/// The skeleton as someone in a hurry would fill it: a group everywhere,
/// every `# TODO` comment dropped, empty results made `()`.
fn filled_mechanically() -> String {
    let skeleton = import(HEADER, "demo_ops")
        .expect("imports")
        .to_skeleton("demo.h");
    skeleton
        .lines()
        .filter(|l| !l.starts_with("# TODO") && !l.starts_with("# and attr"))
        .map(|l| l.split(" # TODO").next().unwrap_or(l))
        .map(|l| match l {
            "groups = []" => "groups = [\"all\"]",
            "group = \"\"" => "group = \"all\"",
            "returns = \"\"" => "returns = \"Result<(), Error>\"",
            "doc = \"\"" => "doc = \"Something.\"",
            other => other,
        })
        .flat_map(|l| {
            let member_keys = "type = \"DriverId\"\nempty = \"DriverId::Unknown\"\n\
                 policy = \"conflict\"\nattr = \"path\"";
            if l == "name = \"driver_id\"" {
                vec![l.to_owned(), member_keys.to_owned()]
            } else {
                vec![l.to_owned()]
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_skeleton_entry_is_unfinished_until_its_marker_is_removed() {
    let filled = filled_mechanically();
    let errors = schema::load("demo.toml", &filled)
        .expect_err("a skeleton is not a schema")
        .summary();
    let unfinished = errors
        .iter()
        .filter(|e| e.contains("unfinished entry"))
        .count();
    assert_eq!(unfinished, 5, "{errors:#?}");
    assert_eq!(errors.len(), 5, "only the markers are left: {errors:#?}");
}

#[test]
fn a_signature_that_does_not_fit_its_c_prototype_is_a_warning() {
    let finished: String = filled_mechanically()
        .lines()
        .filter(|l| !l.starts_with("todo = "))
        .map(|l| format!("{l}\n"))
        .collect();
    let loaded = schema::load("demo.toml", &finished).expect("loads once the markers are gone");
    let warnings = loaded.warnings.join("\n");
    assert!(
        warnings
            .contains("warning: op `poll_cq` has no Rust parameters, but its C prototype has 3"),
        "{warnings}"
    );
    assert!(
        warnings.contains("warning: op `alloc_pd` returns `struct ib_pd *` in C but no value"),
        "{warnings}"
    );
    assert!(
        !warnings.contains("`drain_sq` returns"),
        "a void op with a unit result fits: {warnings}"
    );
    assert_eq!(warnings.lines().count(), 5, "{warnings}");
    assert!(
        warnings.lines().all(|w| w.starts_with("demo.toml:")),
        "{warnings}"
    );
}
