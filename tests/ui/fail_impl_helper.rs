use ibops::prelude::*;

struct Provider;

#[ibops::device_ops]
impl Provider {
    fn pol_cq(_: &Cq, _: &mut [WorkCompletion]) -> Result<usize, Error> {
        Ok(0)
    }
    fn helper() {}
}

fn main() {}
