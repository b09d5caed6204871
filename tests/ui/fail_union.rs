use ibops::prelude::*;

#[derive(DeviceOps)]
#[device_ops(poll_cq)]
union Provider {
    a: u32,
}

fn main() {}
