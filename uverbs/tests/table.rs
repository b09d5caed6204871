//! rdma-core's table in Rust: the generated table matches its schema, a
//! context built from the dummies answers `NotSupported` for every op no
//! provider gave, and provider tables overlay each other last-wins, as
//! `verbs_set_ops()` merges them.

use ibops_soft::SoftConfig;
use ibops_uverbs::OPS;
use ibops_uverbs::prelude::*;

/// A real CQ and PD to call ops with: the soft device's.
fn objects() -> (Arc<Pd>, Arc<Cq>) {
    let name = format!("uverbs-{}", std::process::id());
    let device = SoftConfig::new(name).probe().expect("probe");
    let pd = device.alloc_pd().expect("pd");
    let cq = device.create_cq(&CqInitAttr::new(16)).expect("cq");
    (pd, cq)
}

#[derive(VerbsContextOps)]
#[verbs_ops(poll_cq = common_poll, query_ece, get_srq_num)]
struct Common;

impl Common {
    fn query_ece(_: &Qp) -> Result<Ece, Error> {
        Ok(Ece {
            vendor_id: 0x15b3,
            options: 1,
        })
    }

    fn get_srq_num(_: &Srq) -> Result<u32, Error> {
        Ok(7)
    }
}

fn common_poll(_: &Cq, _: &mut [WorkCompletion]) -> Result<usize, Error> {
    Ok(1)
}

/// The table of newer hardware, overlaid on the common one.
struct Newer;

#[verbs_ops]
impl Newer {
    fn poll_cq(_: &Cq, wc: &mut [WorkCompletion]) -> Result<usize, Error> {
        Ok(wc.len())
    }

    fn resize_cq(_: &Cq, cqe: u32) -> Result<(), Error> {
        Err(Error::Errno(if cqe == 0 { 22 } else { 12 }))
    }
}

#[test]
fn the_table_has_the_schemas_93_ops_in_struct_order() {
    assert_eq!(VerbsOpId::ALL.len(), 93);
    assert_eq!(OPS.len(), 93);
    let names: Vec<&str> = OPS.iter().map(|info| info.name).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    // rdma-core keeps the struct sorted.
    assert_eq!(names, sorted);
    assert_eq!(names.first(), Some(&"advise_mr"));
    assert_eq!(names.last(), Some(&"unimport_pd"));
    assert!(OPS.iter().all(|info| !info.mandatory && !info.c.is_empty()));
    for (i, info) in OPS.iter().enumerate() {
        assert_eq!(info.id as usize, i);
        assert_eq!(info.id.name(), info.name);
    }
}

#[test]
fn the_dummy_table_sets_every_op_and_answers_not_supported() {
    let dummy = VerbsContextOps::DUMMY;
    assert_eq!(dummy.implemented().count(), 93);
    let (pd, cq) = objects();
    assert_eq!(
        dummy.poll_cq(&cq, &mut []),
        Err(Error::NotSupported(VerbsOpId::PollCq))
    );
    assert_eq!(
        dummy.dealloc_pd(&pd),
        Err(Error::NotSupported(VerbsOpId::DeallocPd))
    );
    assert_eq!(
        dummy
            .reg_mr(&pd, 0, 4096, 0, AccessFlags::LOCAL_WRITE)
            .err(),
        Some(Error::NotSupported(VerbsOpId::RegMr))
    );
    // An op returning nothing does nothing; a plain value is its default,
    // as rdma-core's dummy query_qp_data_in_order answers 0.
    assert_eq!(dummy.cq_event(&cq), Ok(()));
    // An empty table answers the same without any dummy.
    assert_eq!(
        VerbsContextOps::EMPTY.poll_cq(&cq, &mut []),
        Err(Error::NotSupported(VerbsOpId::PollCq))
    );
}

#[test]
fn provider_tables_overlay_the_dummies_last_wins() {
    let mut ops = VerbsContextOps::DUMMY;
    ops.merge(&Common::OPS).expect("merge");
    ops.merge(&Newer::OPS).expect("merge");
    let (pd, cq) = objects();
    let mut wc = vec![WorkCompletion::default(); 3];
    // poll_cq: Newer's, set last.
    assert_eq!(ops.poll_cq(&cq, &mut wc), Ok(3));
    // resize_cq: only Newer has it.
    assert_eq!(ops.resize_cq(&cq, 0), Err(Error::Errno(22)));
    // Common's ops that Newer leaves unset stay.
    assert_eq!(
        ops.query_ece.map(|f| f as usize),
        Common::OPS.query_ece.map(|f| f as usize)
    );
    // What neither gives is still the dummy.
    assert_eq!(
        ops.dealloc_pd(&pd),
        Err(Error::NotSupported(VerbsOpId::DeallocPd))
    );
    // The other order: Common's poll_cq wins.
    let mut other = VerbsContextOps::DUMMY;
    other.merge(&Newer::OPS).expect("merge");
    other.merge(&Common::OPS).expect("merge");
    assert_eq!(other.poll_cq(&cq, &mut wc), Ok(1));
}

#[test]
fn the_tables_debug_names_the_ops_it_sets() {
    let text = format!("{:?}", Common::OPS);
    assert!(text.starts_with("VerbsContextOps"), "{text}");
    for op in ["poll_cq", "query_ece", "get_srq_num"] {
        assert!(text.contains(op), "{text}");
    }
    assert!(!text.contains("resize_cq"), "{text}");
}
