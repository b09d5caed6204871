use ibops::prelude::*;

#[derive(DeviceOps)]
#[device_ops(mandatroy, drvier_id = DriverId::Soft)]
struct Provider;

fn main() {}
