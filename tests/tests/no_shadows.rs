//! Nothing keeps a hand-written copy of the schema: the `Debug` of the
//! ops table is generated and shows every member of `ops.toml` (before,
//! a hand-written impl named four and left out `device_group` and
//! `port_groups`).

use std::path::Path;

use ibops::IbDeviceOps;
use ibops::soft::SoftConfig;

#[test]
fn the_tables_debug_shows_every_member_of_the_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let schema =
        ibops_codegen::load_schema(&root, Path::new("ops.toml")).unwrap_or_else(|e| panic!("{e}"));
    let shown = format!("{:?}", IbDeviceOps::EMPTY);
    for member in &schema.members {
        assert!(
            shown.contains(&format!("{}: ", member.name)),
            "{} missing from {shown}",
            member.name
        );
    }
    assert!(shown.contains("implemented: []"), "{shown}");
    let dev = SoftConfig::new("no-shadows0").probe().expect("probe");
    let shown = format!("{:?}", dev.ops());
    assert!(shown.contains("\"post_send\""), "{shown}");
    assert!(shown.contains("obj_sizes: ["), "{shown}");
}
