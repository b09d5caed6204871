use ibops::prelude::*;

mod my {
    use ibops::prelude::*;
    pub fn send(_: &Qp, _: &[SendWr]) -> Result<(), Error> {
        Ok(())
    }
}

#[derive(DeviceOps)]
#[device_ops(query_device, post_send = my::send)]
struct Provider;

impl Provider {
    fn query_device(_: &Device, _: &mut Udata) -> Result<DeviceAttr, Error> {
        Ok(DeviceAttr::default())
    }
}

// Usable in const and static items.
static TABLE: IbDeviceOps = <Provider as ProvideOps>::OPS;

fn main() {
    let ops: Vec<OpId> = TABLE.implemented().collect();
    assert_eq!(ops, [OpId::PostSend, OpId::QueryDevice]);
}
