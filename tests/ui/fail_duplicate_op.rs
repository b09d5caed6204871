use ibops::prelude::*;

#[derive(DeviceOps)]
#[device_ops(poll_cq)]
#[device_ops(poll_cq = other::poll)]
struct Provider;

fn main() {}
