use core::marker::PhantomData;
use ibops::prelude::*;

struct Base;

#[ibops::device_ops(driver_id = DriverId::Soft, uverbs_abi_ver = 1)]
impl Base {
    fn poll_cq(_: &Cq, _: &mut [WorkCompletion]) -> Result<usize, Error> {
        Ok(0)
    }
}

trait Backend: 'static {
    const NAME: &'static str;
}
struct Atomics<B: Backend>(PhantomData<B>);
struct Hw;
impl Backend for Hw {
    const NAME: &'static str = "hw";
}

#[derive(DeviceOps)]
#[device_ops(driver_id = DriverId::Soft, uverbs_no_driver_id_binding)]
#[device_ops(get_dev_fw_str)]
struct Extra<B: Backend>(PhantomData<B>);

impl<B: Backend> Extra<B> {
    fn get_dev_fw_str(_: &Device) -> String {
        B::NAME.to_owned()
    }
}

fn main() {
    let _ = Atomics::<Hw>(PhantomData);
    let mut ops = <Base as ProvideOps>::OPS;
    ops.merge(&<Extra<Hw> as ProvideOps>::OPS).expect("same driver id");
    assert_eq!(ops.implemented().collect::<Vec<_>>(), [OpId::PollCq, OpId::GetDevFwStr]);
    assert_eq!(ops.uverbs_abi_ver, 1);
    assert!(ops.uverbs_no_driver_id_binding);
}
