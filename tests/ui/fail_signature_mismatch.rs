use ibops::prelude::*;

mod my {
    use ibops::prelude::*;
    // post_send takes a slice of work requests, not one.
    pub fn send(_: &Qp, _: &SendWr) -> Result<(), Error> {
        Ok(())
    }
}

#[derive(DeviceOps)]
#[device_ops(post_send = my::send)]
struct Provider;

fn main() {}
