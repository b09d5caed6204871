//! A QP moved to ERR or RESET while its peer is sending to it: every
//! receive it had outstanding flushes (ERR) or is discarded (RESET), under
//! any interleaving, and none completes or is written after the transition.
//!
//! These are the regression tests of two data-loss bugs (receives a
//! requester had taken from the peer were given back after the peer's
//! flush or reset; `post_recv` read the state before taking the queue
//! lock). Before the fix, [`sends_racing_err_flush_every_receive`] failed
//! within its 400 rounds in every run tried (about 1 round in 125 lost
//! receives), [`sends_racing_reset_leave_no_receive_behind`] within its
//! 400 rounds (about 1 in 250), and the `post_recv` race in
//! [`posts_racing_err_all_complete`] within its 2000 rounds.

use std::collections::HashMap;
use std::thread;
use std::time::{Duration, Instant};

use ibops::prelude::*;

use crate::common::{ALL_REMOTE, device, drain, qp_init};

const RECEIVES: u32 = 256;
const POST_LISTS: u32 = 8;
const LIST: u32 = 32;
const MSG: u32 = 8;

/// A small deterministic generator for the delays (xorshift64).
struct Delays(u64);

impl Delays {
    fn next_micros(&mut self, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % (max + 1)
    }
}

/// Moves `qp` to `state` alone (ERR and RESET need no other attribute).
fn move_to(qp: &Qp, state: QpState) -> Result<(), Error> {
    let (attr, mask) = QpAttr::to_state(state);
    qp.modify(&attr, mask)
}

/// Busy-waits `micros` (sleeping would round up to the scheduler's tick).
fn spin(micros: u64) {
    let until = Instant::now() + Duration::from_micros(micros);
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

struct Pair {
    pd: Arc<Pd>,
    a: Arc<Qp>,
    b: Arc<Qp>,
    a_cq: Arc<Cq>,
    b_cq: Arc<Cq>,
    a_mr: Arc<Mr>,
    b_mr: Arc<Mr>,
    b_buf: Buffer,
    _a_buf: Buffer,
}

fn pair(dev: &Device) -> Pair {
    let pd = dev.alloc_pd().expect("pd");
    let cap = QpCap {
        max_send_wr: RECEIVES,
        max_recv_wr: RECEIVES,
        max_send_sge: 1,
        max_recv_sge: 1,
        max_inline_data: 0,
    };
    let a_cq = dev.create_cq(&CqInitAttr::new(4096)).expect("a cq");
    let b_cq = dev.create_cq(&CqInitAttr::new(4096)).expect("b cq");
    let a = pd.create_qp(&qp_init(&a_cq, QpType::Rc, cap)).expect("a");
    let b = pd.create_qp(&qp_init(&b_cq, QpType::Rc, cap)).expect("b");
    a.connect_rc(b.qp_num(), ALL_REMOTE, 7).expect("connect a");
    b.connect_rc(a.qp_num(), ALL_REMOTE, 7).expect("connect b");
    let a_buf = Buffer::new(MSG as usize).expect("buffer");
    let b_buf = Buffer::new((RECEIVES * MSG) as usize).expect("buffer");
    let a_mr = pd
        .reg_mr(&UserMemory::whole(&a_buf), ALL_REMOTE)
        .expect("a mr");
    let b_mr = pd
        .reg_mr(&UserMemory::whole(&b_buf), ALL_REMOTE)
        .expect("b mr");
    a_buf.write(0, &[0xab; MSG as usize]).expect("payload");
    Pair {
        pd,
        a,
        b,
        a_cq,
        b_cq,
        a_mr,
        b_mr,
        b_buf,
        _a_buf: a_buf,
    }
}

impl Pair {
    fn post_receives(&self) {
        let list: Vec<RecvWr> = (0..RECEIVES)
            .map(|i| {
                RecvWr::new(
                    u64::from(i),
                    vec![self.b_mr.sge(u64::from(i * MSG), MSG).expect("sge")],
                )
            })
            .collect();
        self.b.post_recv(&list).expect("receives");
    }

    /// Posts `POST_LISTS` lists of `LIST` signaled SENDs on `a`; posting
    /// fails once `a` is in error, which ends the run.
    fn send_all(&self) {
        for list in 0..POST_LISTS {
            let wrs: Vec<SendWr> = (0..LIST)
                .map(|i| {
                    let id = u64::from(list * LIST + i);
                    SendWr::new(
                        id,
                        WrOpcode::Send,
                        vec![self.a_mr.sge(0, MSG).expect("sge")],
                    )
                    .signaled()
                })
                .collect();
            let _ = self.a.post_send(&wrs);
        }
    }

    /// Every receive completion on `b`'s CQ, by `wr_id`.
    fn receive_completions(&self) -> HashMap<u64, Vec<WcStatus>> {
        let mut seen: HashMap<u64, Vec<WcStatus>> = HashMap::new();
        for wc in drain(&self.b_cq) {
            if wc.qp_num == self.b.qp_num()
                && matches!(wc.opcode, WcOpcode::Recv | WcOpcode::RecvRdmaWithImm)
            {
                seen.entry(wc.wr_id).or_default().push(wc.status);
            }
        }
        seen
    }
}

#[test]
fn sends_racing_err_flush_every_receive() {
    let dev = device();
    let mut delays = Delays(0x1234_5678_9abc_def1);
    for round in 0..400 {
        let p = pair(&dev);
        p.post_receives();
        let delay = delays.next_micros(300);
        thread::scope(|s| {
            s.spawn(|| p.send_all());
            s.spawn(|| {
                spin(delay);
                move_to(&p.b, QpState::Err).expect("b to ERR");
            });
        });
        let seen = p.receive_completions();
        for wr_id in 0..u64::from(RECEIVES) {
            let statuses = seen.get(&wr_id).map_or(&[][..], Vec::as_slice);
            assert!(
                matches!(statuses, [WcStatus::Success] | [WcStatus::WrFlushErr]),
                "round {round} (delay {delay} µs): receive {wr_id} completed {statuses:?}"
            );
        }
        drop(p.pd);
    }
}

#[test]
fn sends_racing_reset_leave_no_receive_behind() {
    let dev = device();
    let mut delays = Delays(0x0fed_cba9_8765_4321);
    for round in 0..400 {
        let p = pair(&dev);
        p.post_receives();
        let delay = delays.next_micros(300);
        let mut before_reset = HashMap::new();
        thread::scope(|s| {
            s.spawn(|| p.send_all());
            s.spawn(|| {
                spin(delay);
                move_to(&p.b, QpState::Reset).expect("b to RESET");
                // What completed before the reset; the application now
                // owns every receive buffer again.
                before_reset = p.receive_completions();
                p.b_buf
                    .write(0, &vec![0; (RECEIVES * MSG) as usize])
                    .expect("clear");
            });
        });
        let after = p.receive_completions();
        assert!(
            after.is_empty(),
            "round {round} (delay {delay} µs): receives completed after RESET: {after:?}"
        );
        assert!(
            p.b_buf.to_vec().iter().all(|&byte| byte == 0),
            "round {round} (delay {delay} µs): a receive buffer was written after RESET"
        );
        // Reconnect both without posting receives: a SEND must find none.
        move_to(&p.a, QpState::Reset).expect("a to RESET");
        drain(&p.a_cq);
        p.a.connect_rc(p.b.qp_num(), ALL_REMOTE, 0)
            .expect("reconnect a");
        p.b.connect_rc(p.a.qp_num(), ALL_REMOTE, 0)
            .expect("reconnect b");
        let probe = SendWr::new(
            u64::MAX,
            WrOpcode::Send,
            vec![p.a_mr.sge(0, MSG).expect("sge")],
        )
        .signaled();
        p.a.post_send(&[probe]).expect("probe");
        let probe = drain(&p.a_cq);
        assert_eq!(
            probe.iter().map(|wc| wc.status).collect::<Vec<_>>(),
            [WcStatus::RnrRetryExcErr],
            "round {round} (delay {delay} µs): a receive posted before RESET survived it \
             (completed after it: {:?})",
            p.receive_completions()
        );
        let _ = before_reset;
    }
}

#[test]
fn posts_racing_err_all_complete() {
    let dev = device();
    let mut delays = Delays(0x5555_aaaa_1234_4321);
    for round in 0..2000 {
        let p = pair(&dev);
        let delay = delays.next_micros(20);
        let mut accepted = 0u64;
        thread::scope(|s| {
            s.spawn(|| {
                for i in 0..u64::from(RECEIVES) {
                    let wr = RecvWr::new(i, [p.b_mr.sge(0, MSG).expect("sge")]);
                    if p.b.post_recv(&[wr]).is_ok() {
                        accepted += 1;
                    }
                }
            });
            s.spawn(|| {
                spin(delay);
                move_to(&p.b, QpState::Err).expect("b to ERR");
            });
        });
        let completed = p
            .receive_completions()
            .values()
            .map(Vec::len)
            .sum::<usize>();
        assert_eq!(
            completed as u64, accepted,
            "round {round} (delay {delay} µs): accepted receives that never completed"
        );
    }
}
