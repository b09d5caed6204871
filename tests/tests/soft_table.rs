//! Snapshot of the reference provider's merged ops table, for the full
//! configuration and the minimal one: which ops and members the derived
//! tables put in the device, so a change to them shows up in review.

use ibops::OpId;
use ibops_soft::SoftConfig;

fn table(config: &SoftConfig) -> String {
    let device = config.probe().unwrap_or_else(|e| panic!("{e}"));
    let ops = device.ops();
    let mut out = format!(
        "owner: {:?}\ndriver_id: {:?}\nuverbs_abi_ver: {}\nuverbs_no_driver_id_binding: {}\n",
        ops.owner, ops.driver_id, ops.uverbs_abi_ver, ops.uverbs_no_driver_id_binding
    );
    for op in ops.implemented() {
        let info = OpId::info(op);
        let mark = if info.mandatory { " (mandatory)" } else { "" };
        out.push_str(&format!("{:<9} {}{mark}\n", info.group, info.signature));
    }
    out
}

#[test]
fn soft_device_tables() {
    insta::assert_snapshot!("soft_full", table(&SoftConfig::new("full")));
    let mut minimal = SoftConfig::new("minimal");
    minimal.srq = false;
    minimal.ud = false;
    insta::assert_snapshot!("soft_minimal", table(&minimal));
}
