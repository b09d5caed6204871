use ibops_uverbs::prelude::*;

#[derive(VerbsContextOps)]
#[verbs_ops(query_port)]
struct Common;

impl Common {
    fn query_port(_: &Ucontext, _: u8) -> Result<PortAttr, Error> {
        Ok(PortAttr::default())
    }
}

struct Newer;

#[verbs_ops]
impl Newer {
    fn get_srq_num(_: &Srq) -> Result<u32, Error> {
        Ok(1)
    }
}

fn main() {
    let mut ops = VerbsContextOps::DUMMY;
    ops.merge(&Common::OPS).expect("merge");
    ops.merge(&Newer::OPS).expect("merge");
    assert_eq!(ops.implemented().count(), 93);
}
