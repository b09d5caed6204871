use ibops::prelude::*;

#[derive(DeviceOps)]
#[device_ops(uverbs_abi_ver = DriverId::Soft, driver_id = 3, uverbs_no_driver_id_binding = true)]
struct Provider;

fn main() {}
