//! The cost of the generated plumbing, against what it replaces.
//!
//! `op_call`: one call of the same function (`peek`, kept out of line so
//! every variant makes exactly one call) directly; through the generated
//! dispatch (`IbDeviceOps::peek_cq`, an `Option<fn>` check and an indirect
//! call); through a hand-written C-style table of plain function pointers;
//! through a `dyn Trait`; through a generic (static) call; through the
//! derive's `const` table of a statically known provider; and through the
//! whole verbs API (`cq.peek`, from the CQ handle to its device's table).
//!
//! Times of `op_call` are for 100 calls.
//!
//! `table`: merging a full 86-op table, `missing_mandatory()` on a full
//! table, and the derive's `const` table against the same table built at
//! run time.
//!
//! `cargo bench -p ibops --bench dispatch`; `scripts/benchmarks.py` turns the
//! results into the ratios of BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ibops::prelude::*;

#[path = "../tests/support/every_op.rs"]
mod every_op;

/// The op every variant calls.
#[inline(never)]
fn peek(_: &Cq, max: usize) -> Result<usize, Error> {
    Ok(max ^ 1)
}

#[inline(never)]
fn poll(_: &Cq, wc: &mut [WorkCompletion]) -> Result<usize, Error> {
    Ok(wc.len())
}

#[inline(never)]
fn post_send(_: &Qp, wrs: &[SendWr]) -> Result<(), Error> {
    black_box(wrs);
    Ok(())
}

#[inline(never)]
fn post_recv(_: &Qp, wrs: &[RecvWr]) -> Result<(), Error> {
    black_box(wrs);
    Ok(())
}

#[inline(never)]
fn req_notify(_: &Cq, flags: CqNotifyFlags) -> Result<bool, Error> {
    Ok(flags.is_empty())
}

#[inline(never)]
fn destroy_cq(_: &Cq) -> Result<(), Error> {
    Ok(())
}

#[inline(never)]
fn destroy_qp(_: &Qp) -> Result<(), Error> {
    Ok(())
}

#[inline(never)]
fn resize(_: &Cq, cqe: u32, _: &mut Udata) -> Result<u32, Error> {
    Ok(cqe)
}

/// A statically known provider: its table is a `const` the compiler sees.
#[derive(DeviceOps)]
#[device_ops(
    peek_cq = peek,
    poll_cq = poll,
    post_send = post_send,
    post_recv = post_recv,
    req_notify_cq = req_notify,
    destroy_cq = destroy_cq,
    destroy_qp = destroy_qp,
    resize_cq = resize,
    driver_id = DriverId::Soft,
)]
struct StaticProvider;

/// The same table, built at run time.
fn runtime_table() -> IbDeviceOps {
    let mut t = IbDeviceOps::EMPTY;
    t.peek_cq = Some(peek);
    t.poll_cq = Some(poll);
    t.post_send = Some(post_send);
    t.post_recv = Some(post_recv);
    t.req_notify_cq = Some(req_notify);
    t.destroy_cq = Some(destroy_cq);
    t.destroy_qp = Some(destroy_qp);
    t.resize_cq = Some(resize);
    t.driver_id = DriverId::Soft;
    t
}

type PeekFn = fn(&Cq, usize) -> Result<usize, Error>;

/// What a C provider writes by hand: plain function pointers, no `Option`.
struct CTable {
    poll_cq: fn(&Cq, &mut [WorkCompletion]) -> Result<usize, Error>,
    peek_cq: PeekFn,
}

/// The op as a trait method.
trait CqOps {
    fn peek_cq(&self, cq: &Cq, max: usize) -> Result<usize, Error>;
}

struct TraitProvider;

impl CqOps for TraitProvider {
    fn peek_cq(&self, cq: &Cq, max: usize) -> Result<usize, Error> {
        peek(cq, max)
    }
}

fn generic_call<P: CqOps>(p: &P, cq: &Cq, max: usize) -> Result<usize, Error> {
    p.peek_cq(cq, max)
}

/// Calls per benchmark iteration in `op_call`; times are per iteration.
const CALLS: usize = 100;

/// `CALLS` calls of `op`, summing what they return.
#[inline(always)]
fn calls(mut op: impl FnMut(usize) -> Result<usize, Error>) -> usize {
    let mut sum = 0usize;
    for i in 0..CALLS {
        sum = sum.wrapping_add(op(black_box(i)).unwrap_or(0));
    }
    sum
}

fn op_call(c: &mut Criterion) {
    let device = ibops_soft::probe("bench0").expect("probe");
    let cq = device.create_cq(&CqInitAttr::new(16)).expect("cq");
    let ops = runtime_table();
    let c_table = CTable {
        poll_cq: poll,
        peek_cq: peek,
    };
    black_box(c_table.poll_cq);
    let dyn_provider: &dyn CqOps = &TraitProvider;
    let mut g = c.benchmark_group("op_call");
    // Each iteration makes CALLS calls and keeps a sum of the results, so
    // the harness around the call is the same loop for every variant.
    g.bench_function("direct", |b| b.iter(|| calls(|i| peek(black_box(&cq), i))));
    g.bench_function("generated_dispatch", |b| {
        b.iter(|| calls(|i| black_box(&ops).peek_cq(black_box(&cq), i)))
    });
    g.bench_function("c_fn_table", |b| {
        b.iter(|| calls(|i| (black_box(&c_table).peek_cq)(black_box(&cq), i)))
    });
    g.bench_function("dyn_trait", |b| {
        b.iter(|| calls(|i| black_box(dyn_provider).peek_cq(black_box(&cq), i)))
    });
    g.bench_function("generic_static", |b| {
        b.iter(|| calls(|i| generic_call(&TraitProvider, black_box(&cq), i)))
    });
    g.bench_function("static_provider", |b| {
        b.iter(|| calls(|i| <StaticProvider as ProvideOps>::OPS.peek_cq(black_box(&cq), i)))
    });
    g.bench_function("verbs_api_soft", |b| {
        b.iter(|| calls(|i| black_box(&cq).peek(i)))
    });
    // The yardstick of the `trace` feature's cost: reading the clock twice,
    // as a traced call does to time itself.
    g.bench_function("clock_read_pair", |b| {
        b.iter(|| {
            calls(|i| {
                let start = std::time::Instant::now();
                Ok(i + usize::from(black_box(start.elapsed()).is_zero()))
            })
        })
    });
    g.finish();
}

fn table(c: &mut Criterion) {
    let full = every_op::full_table::<false>();
    let other = every_op::full_table::<true>();
    let mut g = c.benchmark_group("table");
    g.bench_function("merge_full_into_empty", |b| {
        b.iter(|| {
            let mut t = IbDeviceOps::EMPTY;
            t.merge(black_box(&full)).map(|()| t)
        })
    });
    g.bench_function("merge_full_into_full", |b| {
        b.iter(|| {
            let mut t = *black_box(&other);
            t.merge(black_box(&full)).map(|()| t)
        })
    });
    g.bench_function("missing_mandatory_full", |b| {
        b.iter(|| black_box(&full).missing_mandatory().count())
    });
    g.bench_function("const_table", |b| {
        b.iter(|| black_box(<StaticProvider as ProvideOps>::OPS))
    });
    g.bench_function("runtime_table", |b| b.iter(|| black_box(runtime_table())));
    g.finish();
}

criterion_group!(benches, op_call, table);
criterion_main!(benches);
