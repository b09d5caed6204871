use ibops::prelude::*;

struct MyQp;

#[derive(DeviceOps)]
#[device_ops(obj_size(qpp = MyQp, cq = u32))]
#[device_ops(obj_size(cq = u64))]
struct Provider;

fn main() {}
