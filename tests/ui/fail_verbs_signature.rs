use ibops_uverbs::prelude::*;

mod my {
    use ibops_uverbs::prelude::*;
    // rdma-core's alloc_pd creates the PD from the context and returns it.
    pub fn alloc_pd(_: &Pd) -> Result<(), Error> {
        Ok(())
    }
}

#[derive(VerbsContextOps)]
#[verbs_ops(alloc_pd = my::alloc_pd)]
struct Provider;

fn main() {}
