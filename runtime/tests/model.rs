//! Model-based tests of the verbs API on the soft device.
//!
//! [`sequences_match_the_model`] drives random sequences of operations
//! (create and destroy QPs, move them through the state machine, post
//! sends and receives, poll) on the soft device and on a small reference
//! model of the IBTA rules the device implements, and compares every
//! result, error kind and completion: object lifetimes, the RC state
//! machine with its attribute masks, queue depths, posting rules,
//! completion order per CQ, RNR and transport errors, flush on error and
//! discard on reset. [`concurrent_posts_and_errors_complete_exactly_once`]
//! runs random schedules on several threads and checks that every accepted
//! work request and receive completes exactly once.
//!
//! The case count is proptest's (256 by default; `PROPTEST_CASES=100000`
//! for a long run). A shrunk failure becomes a test of its own below.

use std::collections::{HashMap, VecDeque};
use std::thread;

use ibops::prelude::*;
use ibops_soft::SoftConfig;
use proptest::prelude::*;

/// QP slots; slots `2k` and `2k + 1` are connected to each other.
const SLOTS: usize = 4;
const MAX_SEND_WR: u32 = 4;
const MAX_RECV_WR: u32 = 4;

/// A state a step moves a QP to, with the standard attributes for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Init,
    Rtr,
    Rts,
    Err,
    Reset,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Create(usize),
    Destroy(usize),
    Modify(usize, Target),
    PostSend(usize, u32),
    PostRecv(usize, u32),
    Poll(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let slot = 0..SLOTS;
    let target = prop_oneof![
        Just(Target::Init),
        Just(Target::Rtr),
        Just(Target::Rts),
        Just(Target::Err),
        Just(Target::Reset),
    ];
    prop_oneof![
        1 => slot.clone().prop_map(Step::Create),
        1 => slot.clone().prop_map(Step::Destroy),
        4 => (slot.clone(), target).prop_map(|(s, t)| Step::Modify(s, t)),
        3 => (slot.clone(), 1..4u32).prop_map(|(s, n)| Step::PostSend(s, n)),
        3 => (slot.clone(), 1..4u32).prop_map(|(s, n)| Step::PostRecv(s, n)),
        2 => slot.prop_map(Step::Poll),
    ]
}

/// What a call returned, as far as the model predicts it: success, or the
/// kind of error (and for a refused work request, its index and reason).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    InvalidArgument,
    BadWr(usize, WrError),
}

fn outcome(result: Result<(), Error>) -> Outcome {
    match result {
        Ok(()) => Outcome::Ok,
        Err(Error::InvalidArgument(_)) => Outcome::InvalidArgument,
        Err(Error::BadWr { index, reason }) => Outcome::BadWr(index, reason),
        Err(other) => panic!("an error the model does not know: {other:?}"),
    }
}

/// A completion as the model sees it: whose, what, and which send-queue
/// generation's slot it frees when polled.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Completion {
    wr_id: u64,
    status: WcStatus,
    recv: bool,
}

/// Whose send-queue slot a completion frees when polled: `(qp id, generation)`.
type SlotTag = (u64, u64);

#[derive(Clone, Debug)]
struct ModelQp {
    /// Which creation this is (a QP number reused by a new QP is another).
    id: u64,
    state: QpState,
    recvs: VecDeque<u64>,
    sq_used: u32,
    /// The send-queue generation: a reset starts a new one, and the
    /// completions of an older one free no slot of it.
    generation: u64,
    /// The peer it was connected to at RTR (its id), if any.
    peer: Option<u64>,
}

#[derive(Default)]
struct Model {
    qps: [Option<ModelQp>; SLOTS],
    /// Each slot's CQ, which outlives the QPs created in the slot:
    /// completions with the `(qp id, generation)` whose slot they free.
    cqs: [VecDeque<(Completion, Option<SlotTag>)>; SLOTS],
    next_id: u64,
    next_wr: u64,
}

fn partner(slot: usize) -> usize {
    slot ^ 1
}

impl Model {
    /// Adds a completion to `slot`'s CQ, freeing `tag`'s slot when polled.
    fn complete(
        &mut self,
        slot: usize,
        wr_id: u64,
        status: WcStatus,
        recv: bool,
        tag: Option<SlotTag>,
    ) {
        let completion = Completion {
            wr_id,
            status,
            recv,
        };
        self.cqs[slot].push_back((completion, tag));
    }

    fn create(&mut self, slot: usize) {
        self.next_id += 1;
        self.qps[slot] = Some(ModelQp {
            id: self.next_id,
            state: QpState::Reset,
            recvs: VecDeque::new(),
            sq_used: 0,
            generation: 0,
            peer: None,
        });
    }

    fn flush_receives(&mut self, slot: usize) {
        let recvs: Vec<u64> = self.qps[slot]
            .as_mut()
            .map(|qp| qp.recvs.drain(..).collect())
            .unwrap_or_default();
        for wr_id in recvs {
            self.complete(slot, wr_id, WcStatus::WrFlushErr, true, None);
        }
    }

    fn modify(&mut self, slot: usize, target: Target) -> Outcome {
        let peer_id = self.qps[partner(slot)].as_ref().map(|p| p.id);
        let Some(qp) = self.qps[slot].as_mut() else {
            return Outcome::Ok;
        };
        let next = match (qp.state, target) {
            (_, Target::Err) => QpState::Err,
            (_, Target::Reset) => QpState::Reset,
            (QpState::Reset | QpState::Init, Target::Init) => QpState::Init,
            (QpState::Init, Target::Rtr) if peer_id.is_some() => QpState::Rtr,
            (QpState::Rtr, Target::Rts) => QpState::Rts,
            _ => return Outcome::InvalidArgument,
        };
        match next {
            QpState::Err => {
                qp.state = QpState::Err;
                self.flush_receives(slot);
            }
            QpState::Reset => {
                qp.state = QpState::Reset;
                qp.recvs.clear();
                qp.sq_used = 0;
                qp.generation += 1;
                qp.peer = None;
            }
            QpState::Rtr => {
                qp.state = QpState::Rtr;
                qp.peer = peer_id;
            }
            other => qp.state = other,
        }
        Outcome::Ok
    }

    fn post_recv(&mut self, slot: usize, wr_ids: &[u64]) -> Outcome {
        let Some(qp) = self.qps[slot].as_mut() else {
            return Outcome::Ok;
        };
        match qp.state {
            QpState::Reset => Outcome::BadWr(0, WrError::InvalidState),
            QpState::Err => {
                for wr_id in wr_ids {
                    self.complete(slot, *wr_id, WcStatus::WrFlushErr, true, None);
                }
                Outcome::Ok
            }
            _ => {
                let free = (MAX_RECV_WR as usize).saturating_sub(qp.recvs.len());
                qp.recvs.extend(wr_ids.iter().take(free));
                if wr_ids.len() > free {
                    Outcome::BadWr(free, WrError::QueueFull)
                } else {
                    Outcome::Ok
                }
            }
        }
    }

    fn post_send(&mut self, slot: usize, wr_ids: &[u64]) -> Outcome {
        let Some(qp) = self.qps[slot].as_ref() else {
            return Outcome::Ok;
        };
        if matches!(qp.state, QpState::Reset | QpState::Init | QpState::Rtr) {
            return Outcome::BadWr(0, WrError::InvalidState);
        }
        let free = MAX_SEND_WR.saturating_sub(qp.sq_used) as usize;
        let accepted = &wr_ids[..wr_ids.len().min(free)];
        let refused = (wr_ids.len() > free).then_some(Outcome::BadWr(free, WrError::QueueFull));
        let (id, generation, peer) = (qp.id, qp.generation, qp.peer);
        if let Some(qp) = self.qps[slot].as_mut() {
            qp.sq_used += accepted.len() as u32;
        }
        let tag = Some((id, generation));
        let mut done = Vec::new();
        let mut failed_at = None;
        for (i, wr_id) in accepted.iter().enumerate() {
            if self.qps[slot].as_ref().map(|q| q.state) != Some(QpState::Rts) {
                failed_at = Some(i);
                break;
            }
            let target = partner(slot);
            let receiving = self.qps[target]
                .as_ref()
                .filter(|p| Some(p.id) == peer && matches!(p.state, QpState::Rtr | QpState::Rts));
            let status = match receiving {
                None => WcStatus::RetryExcErr,
                Some(p) if p.recvs.is_empty() => WcStatus::RnrRetryExcErr,
                Some(_) => {
                    let recv = self.qps[target]
                        .as_mut()
                        .and_then(|p| p.recvs.pop_front())
                        .unwrap_or_default();
                    self.complete(target, recv, WcStatus::Success, true, None);
                    WcStatus::Success
                }
            };
            done.push(Completion {
                wr_id: *wr_id,
                status,
                recv: false,
            });
            if status != WcStatus::Success {
                // The batch so far, then the QP's own receives flushed.
                self.cqs[slot].extend(done.drain(..).map(|c| (c, tag)));
                if let Some(qp) = self.qps[slot].as_mut() {
                    qp.state = QpState::Err;
                }
                self.flush_receives(slot);
            }
        }
        self.cqs[slot].extend(done.drain(..).map(|c| (c, tag)));
        // In the error state (before or since): the rest are flushed.
        let start = failed_at.unwrap_or(accepted.len());
        if self.qps[slot].as_ref().map(|q| q.state) == Some(QpState::Err) {
            for wr_id in &accepted[start..] {
                self.complete(slot, *wr_id, WcStatus::WrFlushErr, false, tag);
            }
        }
        refused.unwrap_or(Outcome::Ok)
    }

    /// Empties a slot's CQ, freeing the send slots its completions free.
    fn poll(&mut self, slot: usize) -> Vec<Completion> {
        let polled: Vec<_> = self.cqs[slot].drain(..).collect();
        for (_, tag) in &polled {
            if let (Some((id, generation)), Some(qp)) = (tag, self.qps[slot].as_mut())
                && qp.id == *id
                && qp.generation == *generation
            {
                qp.sq_used -= 1;
            }
        }
        polled.into_iter().map(|(c, _)| c).collect()
    }
}

/// The device side: one PD and MR, a CQ per slot, the QPs.
struct Real {
    dev: Device,
    pd: Arc<Pd>,
    mr: Arc<Mr>,
    _buf: Buffer,
    cqs: Vec<Arc<Cq>>,
    qps: Vec<Option<Arc<Qp>>>,
}

impl Real {
    fn new(name: &str) -> Real {
        let dev = SoftConfig::new(name).probe().expect("probe");
        let pd = dev.alloc_pd().expect("pd");
        let buf = Buffer::new(64).expect("buffer");
        let mr = pd
            .reg_mr(&UserMemory::whole(&buf), AccessFlags::LOCAL_WRITE)
            .expect("mr");
        let cqs = (0..SLOTS)
            .map(|_| dev.create_cq(&CqInitAttr::new(1024)).expect("cq"))
            .collect();
        Real {
            dev,
            pd,
            mr,
            _buf: buf,
            cqs,
            qps: vec![None; SLOTS],
        }
    }

    fn create(&mut self, slot: usize) {
        let cap = QpCap {
            max_send_wr: MAX_SEND_WR,
            max_recv_wr: MAX_RECV_WR,
            max_send_sge: 1,
            max_recv_sge: 1,
            max_inline_data: 0,
        };
        let cq = &self.cqs[slot];
        let qp = self
            .pd
            .create_qp(&QpInitAttr::new(QpType::Rc, cq, cq, cap))
            .expect("create_qp");
        self.qps[slot] = Some(qp);
    }

    fn modify(&self, slot: usize, target: Target) -> Result<(), Error> {
        let Some(qp) = &self.qps[slot] else {
            return Ok(());
        };
        let peer = self.qps[partner(slot)]
            .as_ref()
            .map_or(0x00ff_fffe, |p| p.qp_num());
        let mtu = Mtu::Mtu1024;
        let access = AccessFlags::LOCAL_WRITE;
        let (attr, mask) = match target {
            Target::Init => QpAttr::rc_init(1, access),
            Target::Rtr => QpAttr::rc_rtr(peer, mtu, 1),
            Target::Rts => QpAttr::rc_rts(0),
            Target::Err => QpAttr::to_state(QpState::Err),
            Target::Reset => QpAttr::to_state(QpState::Reset),
        };
        qp.modify(&attr, mask)
    }

    fn post_send(&self, slot: usize, wr_ids: &[u64]) -> Result<(), Error> {
        let Some(qp) = &self.qps[slot] else {
            return Ok(());
        };
        let sge = self.mr.sge(0, 8).expect("sge");
        let wrs: Vec<SendWr> = wr_ids
            .iter()
            .map(|id| SendWr::new(*id, WrOpcode::Send, [sge]).signaled())
            .collect();
        qp.post_send(&wrs)
    }

    fn post_recv(&self, slot: usize, wr_ids: &[u64]) -> Result<(), Error> {
        let Some(qp) = &self.qps[slot] else {
            return Ok(());
        };
        let sge = self.mr.sge(8, 8).expect("sge");
        let wrs: Vec<RecvWr> = wr_ids.iter().map(|id| RecvWr::new(*id, [sge])).collect();
        qp.post_recv(&wrs)
    }

    fn poll(&self, slot: usize) -> Vec<Completion> {
        let mut all = Vec::new();
        let mut wc = [WorkCompletion::default(); 8];
        loop {
            let n = self.cqs[slot].poll(&mut wc).expect("poll");
            if n == 0 {
                return all;
            }
            all.extend(wc[..n].iter().map(|c| Completion {
                wr_id: c.wr_id,
                status: c.status,
                recv: matches!(c.opcode, WcOpcode::Recv | WcOpcode::RecvRdmaWithImm),
            }));
        }
    }
}

/// Runs `steps` on both sides, failing at the first difference.
fn run(name: &str, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut model = Model::default();
    let mut real = Real::new(name);
    for (at, step) in steps.iter().enumerate() {
        let ids = |model: &mut Model, n: u32| -> Vec<u64> {
            (0..n)
                .map(|_| {
                    model.next_wr += 1;
                    model.next_wr
                })
                .collect()
        };
        match *step {
            Step::Create(slot) => {
                if real.qps[slot].is_none() {
                    real.create(slot);
                    model.create(slot);
                }
            }
            Step::Destroy(slot) => {
                if let Some(qp) = real.qps[slot].take() {
                    prop_assert!(qp.destroy().is_ok(), "step {at}: destroy");
                    model.qps[slot] = None;
                }
            }
            Step::Modify(slot, target) => {
                let got = outcome(real.modify(slot, target));
                let want = model.modify(slot, target);
                prop_assert_eq!(got, want, "step {}: {:?}", at, step);
            }
            Step::PostSend(slot, n) => {
                let wr_ids = ids(&mut model, n);
                let got = outcome(real.post_send(slot, &wr_ids));
                let want = model.post_send(slot, &wr_ids);
                prop_assert_eq!(got, want, "step {}: {:?}", at, step);
            }
            Step::PostRecv(slot, n) => {
                let wr_ids = ids(&mut model, n);
                let got = outcome(real.post_recv(slot, &wr_ids));
                let want = model.post_recv(slot, &wr_ids);
                prop_assert_eq!(got, want, "step {}: {:?}", at, step);
            }
            Step::Poll(slot) => {
                let got = real.poll(slot);
                let want = model.poll(slot);
                prop_assert_eq!(got, want, "step {}: {:?}", at, step);
            }
        }
    }
    // Whatever is left in the CQs agrees too.
    for slot in 0..SLOTS {
        prop_assert_eq!(real.poll(slot), model.poll(slot), "final poll of {}", slot);
    }
    drop(real.dev);
    Ok(())
}

/// The steps that create a pair (if needed) and bring both QPs to RTS:
/// random steps alone rarely get there.
fn connect(pair: usize) -> Vec<Step> {
    let (a, b) = (2 * pair, 2 * pair + 1);
    let mut steps = vec![Step::Create(a), Step::Create(b)];
    for target in [Target::Init, Target::Rtr, Target::Rts] {
        steps.extend([Step::Modify(a, target), Step::Modify(b, target)]);
    }
    steps
}

/// Random steps, with a pair brought up now and then.
fn steps() -> impl Strategy<Value = Vec<Step>> {
    let chunk = prop_oneof![
        6 => step().prop_map(|s| vec![s]),
        1 => (0..SLOTS / 2).prop_map(connect),
    ];
    proptest::collection::vec(chunk, 1..40).prop_map(|chunks| chunks.concat())
}

proptest! {
    #[test]
    fn sequences_match_the_model(steps in steps()) {
        run("soft-model", &steps)?;
    }
}

/// A connected pair brought to RTS, then the sequence a reader would try
/// first: receives, sends, an error, a reset.
#[test]
fn a_hand_written_sequence_matches_the_model() {
    use Step::*;
    let steps = [
        Create(0),
        Create(1),
        Modify(0, Target::Init),
        Modify(1, Target::Init),
        Modify(0, Target::Rtr),
        Modify(1, Target::Rtr),
        Modify(0, Target::Rts),
        PostRecv(1, 2),
        PostSend(0, 3),
        Poll(0),
        Poll(1),
        PostRecv(1, 3),
        Modify(1, Target::Err),
        PostSend(0, 1),
        Poll(0),
        Poll(1),
        Modify(0, Target::Reset),
        Poll(0),
    ];
    run("soft-model-hand", &steps).expect("matches");
}

/// Several threads post on their own QPs while others move QPs to ERR:
/// every send accepted and every receive posted completes exactly once.
fn exactly_once(seed: u64, rounds: usize) {
    let dev = SoftConfig::new(format!("soft-once-{seed}"))
        .probe()
        .expect("probe");
    let pd = dev.alloc_pd().expect("pd");
    let buf = Buffer::new(64).expect("buffer");
    let mr = pd
        .reg_mr(&UserMemory::whole(&buf), AccessFlags::LOCAL_WRITE)
        .expect("mr");
    let cq = dev.create_cq(&CqInitAttr::new(1 << 16)).expect("cq");
    let cap = QpCap {
        max_send_wr: 64,
        max_recv_wr: 64,
        max_send_sge: 1,
        max_recv_sge: 1,
        max_inline_data: 0,
    };
    let mut pairs = Vec::new();
    for _ in 0..2 {
        let a = pd
            .create_qp(&QpInitAttr::new(QpType::Rc, &cq, &cq, cap))
            .expect("a");
        let b = pd
            .create_qp(&QpInitAttr::new(QpType::Rc, &cq, &cq, cap))
            .expect("b");
        a.connect_rc(b.qp_num(), AccessFlags::LOCAL_WRITE, 0)
            .expect("a");
        b.connect_rc(a.qp_num(), AccessFlags::LOCAL_WRITE, 0)
            .expect("b");
        pairs.push((a, b));
    }
    let sge = mr.sge(0, 8).expect("sge");
    let accepted: Vec<Vec<u64>> = thread::scope(|s| {
        let workers: Vec<_> = pairs
            .iter()
            .enumerate()
            .map(|(p, (a, b))| {
                s.spawn(move || {
                    let mut ok = Vec::new();
                    let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ p as u64;
                    for round in 0..rounds {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        let base = ((p as u64) << 40) | ((round as u64) << 8);
                        let n = 1 + rng % 4;
                        let recvs: Vec<RecvWr> = (0..n)
                            .map(|i| RecvWr::new(base | 0x80 | i, [sge]))
                            .collect();
                        match b.post_recv(&recvs) {
                            Ok(()) => ok.extend(recvs.iter().map(|r| r.wr_id)),
                            Err(Error::BadWr { index, .. }) => {
                                ok.extend(recvs[..index].iter().map(|r| r.wr_id));
                            }
                            Err(e) => panic!("{e}"),
                        }
                        let sends: Vec<SendWr> = (0..n)
                            .map(|i| SendWr::new(base | i, WrOpcode::Send, [sge]).signaled())
                            .collect();
                        match a.post_send(&sends) {
                            Ok(()) => ok.extend(sends.iter().map(|w| w.wr_id)),
                            Err(Error::BadWr { index, .. }) => {
                                ok.extend(sends[..index].iter().map(|w| w.wr_id));
                            }
                            Err(e) => panic!("{e}"),
                        }
                        if rng.is_multiple_of(17) {
                            let (attr, mask) = QpAttr::to_state(QpState::Err);
                            let victim = if rng.is_multiple_of(2) { a } else { b };
                            victim.modify(&attr, mask).expect("to ERR");
                        }
                    }
                    ok
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("worker"))
            .collect()
    });
    // Every receive still posted, and every send still waiting, completes
    // now: with a flush error.
    for (a, b) in &pairs {
        let (attr, mask) = QpAttr::to_state(QpState::Err);
        a.modify(&attr, mask).expect("a to ERR");
        b.modify(&attr, mask).expect("b to ERR");
    }
    let mut seen: HashMap<u64, u32> = HashMap::new();
    let mut wc = [WorkCompletion::default(); 64];
    loop {
        let n = cq.poll(&mut wc).expect("poll");
        if n == 0 {
            break;
        }
        for c in &wc[..n] {
            *seen.entry(c.wr_id).or_default() += 1;
        }
    }
    for wr_id in accepted.iter().flatten() {
        assert_eq!(
            seen.get(wr_id),
            Some(&1),
            "seed {seed}: wr {wr_id:#x} completed {:?} times",
            seen.get(wr_id)
        );
    }
    assert_eq!(
        seen.len(),
        accepted.iter().map(Vec::len).sum::<usize>(),
        "seed {seed}: completions of work requests never accepted"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]
    #[test]
    fn concurrent_posts_and_errors_complete_exactly_once(seed in any::<u64>()) {
        exactly_once(seed, 40);
    }
}
