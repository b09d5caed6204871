use ibops::prelude::*;

#[derive(DeviceOps)]
#[device_ops(post_sned)]
struct Provider;

fn main() {}
