// Ops are frozen at registration: a registered `Device` has no `set_ops`.
use ibops::prelude::*;
use ibops_soft::SoftConfig;

fn main() {
    let device = SoftConfig::new("soft0").probe().expect("probe");
    device.set_ops(&IbDeviceOps::EMPTY);
}
