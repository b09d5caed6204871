use ibops_uverbs::prelude::*;

// rdma-core's table has `alloc_pd` and `create_ah`, not the kernel's
// `alloc_ucontext`; and a misspelt op gets the nearest name.
#[derive(VerbsContextOps)]
#[verbs_ops(alloc_pdd, alloc_ucontext)]
struct Provider;

fn main() {}
