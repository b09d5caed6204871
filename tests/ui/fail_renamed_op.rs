use ibops::prelude::*;

// `alloc_hw_stats` was split and renamed in the kernel; ops.toml says so
// with `renamed_from`, and the derive answers with the new name.
#[derive(DeviceOps)]
#[device_ops(alloc_hw_stats)]
struct Provider;

fn main() {}
