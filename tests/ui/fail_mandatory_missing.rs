use ibops::prelude::*;

#[derive(DeviceOps)]
#[device_ops(mandatory, query_device, query_port)]
struct Provider;

fn main() {}
