//! The bandwidth tests: `write_bw`, `read_bw`, `atomic_bw` (the client
//! drives, the server is passive) and `send_bw` (a server thread keeps
//! receives posted). perftest's loop: keep up to `--tx-depth` requests
//! outstanding, post `--post-list` at a time, signal one in `--cq-mod`.
//!
//! `--inline-receiver` runs the `send_bw` server's work in the client's
//! thread between polls (a diagnostic: the same work without the
//! cross-core traffic of two threads).
//!
//! Definitions: BW average is all bytes over the time from the first post
//! to the last completion; BW peak is the best bandwidth over any stretch
//! of 1% of the signaled completions (at least one); MsgRate is messages
//! per second over the same time as the average.

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use ibops::prelude::*;

use crate::end::{End, Pair, Queues, RemoteBuf};
use crate::limit;
use crate::options::{Options, Test};
use crate::report::{self, BwLine, Progress};

const MIB: f64 = (1 << 20) as f64;
/// How many receives the `send_bw` server keeps posted.
const RX_DEPTH: u32 = 8192;
/// Receives the server re-posts per call.
const RX_BATCH: usize = 64;

pub(crate) fn run(options: &Options) -> Result<(), String> {
    let progress = Progress::new(options.sizes.len());
    for (k, &size) in options.sizes.iter().enumerate() {
        let pairs = pairs(options, size).map_err(|e| e.to_string())?;
        if k == 0 {
            report::banner(options, &pairs[0].banner());
            report::bw_header(options);
        }
        let line = measure(options, &pairs, size)?;
        report::bw_line(options, &line);
        if options.limit {
            compare_with_limit(options, size, line.mpps);
        }
        progress.tick(k + 1, size);
    }
    report::footer(options);
    Ok(())
}

/// `options.qps` connected pairs on one device.
fn pairs(options: &Options, size: u64) -> Result<Vec<Pair>, Error> {
    let queues = Queues {
        sq_depth: options.tx_depth,
        rq_depth: RX_DEPTH,
        max_inline: options.inline_size,
    };
    let mut pairs = vec![Pair::new(size, queues)?];
    for _ in 1..options.qps {
        let more = Pair::on(&pairs[0].device, size, queues)?;
        pairs.push(more);
    }
    Ok(pairs)
}

/// The fewest messages the limit is measured over.
const LIMIT_MIN_ITERS: u64 = 5_000_000;

/// Measures the lock-free loopback of the same shape (SEND form for
/// `send_bw`, WRITE form otherwise) and prints the ratio.
fn compare_with_limit(options: &Options, size: u64, soft_mpps: f64) {
    let burst = limit::Burst {
        size,
        // The limit runs 20 to 50 times faster: more messages keep its run
        // long enough to measure.
        iters: options.iters.max(LIMIT_MIN_ITERS),
        tx_depth: u64::from(options.tx_depth),
        post_list: u64::from(options.post_list),
        cq_mod: u64::from(options.cq_mod),
    };
    let (what, limit_mpps) = match options.test {
        Test::SendBw => ("lock-free loopback SEND", limit::send_mpps(burst)),
        _ => ("lock-free loopback WRITE", limit::write_mpps(burst)),
    };
    report::limit_line(options, what, "Mpps", soft_mpps, limit_mpps);
}

/// The operation a bandwidth test posts towards the server's `inbox`.
pub(crate) fn opcode(test: Test, inbox: RemoteBuf) -> WrOpcode {
    let (target, rkey) = (inbox.addr, inbox.rkey);
    match test {
        Test::WriteBw => WrOpcode::RdmaWrite {
            remote_addr: target,
            rkey,
        },
        Test::ReadBw => WrOpcode::RdmaRead {
            remote_addr: target,
            rkey,
        },
        Test::AtomicBw => WrOpcode::AtomicFetchAndAdd {
            remote_addr: target,
            rkey,
            compare_add: 1,
        },
        _ => WrOpcode::Send,
    }
}

fn measure(options: &Options, pairs: &[Pair], size: u64) -> Result<BwLine, String> {
    let targets: Vec<Target<'_>> = pairs
        .iter()
        .map(|pair| Target {
            end: &pair.client,
            opcode: opcode(options.test, pair.server.inbox()),
        })
        .collect();
    let (server, client) = (&pairs[0].server, &pairs[0].client);
    let stamps = match options.test {
        Test::SendBw if options.inline_receiver => {
            let mut receiver = Receiver::new(server, size, options.iters)?;
            requester(options, &targets, size, Instant::now(), &mut || {
                receiver.step()
            })?
        }
        Test::SendBw => thread::scope(|s| {
            // Receives are posted before the client starts, as perftest's
            // server posts them before the client connects.
            let mut receiver = Receiver::new(server, size, options.iters)?;
            let receiving = s.spawn(move || -> Result<(), String> {
                let start = Instant::now();
                let mut idle = 0u32;
                while !receiver.done() {
                    if receiver.step()? > 0 {
                        idle = 0;
                        continue;
                    }
                    // Look at the clock now and then, not on every empty poll.
                    idle = idle.wrapping_add(1);
                    if idle.is_multiple_of(4096) && start.elapsed() > Duration::from_secs(60) {
                        return Err("messages stopped arriving".to_owned());
                    }
                }
                Ok(())
            });
            let sent = requester(options, &targets, size, Instant::now(), &mut || Ok(0));
            let received = receiving
                .join()
                .unwrap_or_else(|_| Err("the receiver thread panicked".to_owned()));
            received.and(sent)
        })?,
        _ => requesters(options, &targets, size)?,
    };
    let memcpy = memcpy_mib(&client.buf, &server.buf, size, options.iters);
    let messages = options.iters * pairs.len() as u64;
    Ok(line(size, messages, &stamps, memcpy))
}

/// When each signaled completion arrived and how many requests had
/// completed by then (over every QP the thread drives).
pub(crate) struct Stamps {
    pub(crate) completions: Vec<(Duration, u64)>,
}

impl Stamps {
    /// The stamps of several threads as one timeline: each thread's
    /// completions, merged in time order, with the counts added up.
    fn merge(all: Vec<Stamps>) -> Stamps {
        let mut steps: Vec<(Duration, u64)> = all
            .into_iter()
            .flat_map(|stamps| {
                let mut before = 0;
                stamps.completions.into_iter().map(move |(t, n)| {
                    let step = n - before;
                    before = n;
                    (t, step)
                })
            })
            .collect();
        steps.sort_by_key(|(t, _)| *t);
        let mut total = 0;
        let completions = steps
            .into_iter()
            .map(|(t, step)| {
                total += step;
                (t, total)
            })
            .collect();
        Stamps { completions }
    }
}

/// One QP a requester thread drives, with its operation.
pub(crate) struct Target<'a> {
    pub(crate) end: &'a End,
    pub(crate) opcode: WrOpcode,
}

/// One driven QP's progress.
struct Lane<'a> {
    target: &'a Target<'a>,
    list: Vec<SendWr>,
    posted: u64,
    completed: u64,
}

/// Posts `options.iters` requests on each of `targets` in turn and polls
/// their completions, calling `between` after each round of polls (the
/// inline receiver's turn). Every thread starts its clock at `start`.
pub(crate) fn requester(
    options: &Options,
    targets: &[Target<'_>],
    size: u64,
    start: Instant,
    between: &mut dyn FnMut() -> Result<u64, String>,
) -> Result<Stamps, String> {
    let iters = options.iters;
    let (depth, post_list, cq_mod) = (
        u64::from(options.tx_depth),
        u64::from(options.post_list),
        u64::from(options.cq_mod),
    );
    let mut lanes: Vec<Lane<'_>> = targets
        .iter()
        .map(|target| Lane {
            target,
            list: (0..post_list)
                .map(|_| SendWr::new(0, target.opcode.clone(), [target.end.sge(size)]))
                .collect(),
            posted: 0,
            completed: 0,
        })
        .collect();
    let mut wc = [WorkCompletion::default(); 16];
    let total = iters * targets.len() as u64;
    let mut completions = Vec::with_capacity((total / cq_mod + 2) as usize);
    let mut done = 0u64;
    while done < total {
        for lane in &mut lanes {
            let end = lane.target.end;
            while lane.posted < iters
                && lane.posted - lane.completed + post_list.min(iters - lane.posted) <= depth
            {
                let n = post_list.min(iters - lane.posted);
                for (k, wr) in lane.list[..n as usize].iter_mut().enumerate() {
                    let id = lane.posted + k as u64 + 1;
                    wr.wr_id = id;
                    wr.send_flags = if id.is_multiple_of(cq_mod) || id == iters {
                        SendFlags::SIGNALED
                    } else {
                        SendFlags::empty()
                    };
                }
                end.qp
                    .post_send(&lane.list[..n as usize])
                    .map_err(|e| format!("post_send: {e}"))?;
                lane.posted += n;
            }
            let got = end.send_cq.poll(&mut wc).map_err(|e| e.to_string())?;
            for c in &wc[..got] {
                if c.status != WcStatus::Success {
                    return Err(format!(
                        "completion {} failed: {}",
                        c.wr_id,
                        c.status.as_str()
                    ));
                }
                done += c.wr_id - lane.completed;
                lane.completed = c.wr_id;
                completions.push((start.elapsed(), done));
            }
        }
        between()?;
    }
    Ok(Stamps { completions })
}

/// Drives every pair's client with `options.threads` threads, the QPs dealt
/// out in turn.
fn requesters(options: &Options, targets: &[Target<'_>], size: u64) -> Result<Stamps, String> {
    let threads = (options.threads as usize).clamp(1, targets.len().max(1));
    let start = Instant::now();
    if threads == 1 {
        return requester(options, targets, size, start, &mut || Ok(0));
    }
    let per_thread = targets.len().div_ceil(threads);
    let results: Vec<Result<Stamps, String>> = thread::scope(|s| {
        let running: Vec<_> = targets
            .chunks(per_thread)
            .map(|chunk| s.spawn(move || requester(options, chunk, size, start, &mut || Ok(0))))
            .collect();
        running
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|_| Err("a requester thread panicked".to_owned()))
            })
            .collect()
    });
    Ok(Stamps::merge(
        results.into_iter().collect::<Result<_, _>>()?,
    ))
}

/// The `send_bw` server: keeps receives posted until `iters` arrived.
pub(crate) struct Receiver<'a> {
    end: &'a End,
    batch: Vec<RecvWr>,
    wc: [WorkCompletion; RX_BATCH],
    received: u64,
    owed: usize,
    iters: u64,
}

impl<'a> Receiver<'a> {
    /// Posts the first `RX_DEPTH` receives.
    pub(crate) fn new(end: &'a End, size: u64, iters: u64) -> Result<Receiver<'a>, String> {
        let batch: Vec<RecvWr> = (0..RX_BATCH)
            .map(|i| RecvWr::new(i as u64, [end.sge(size)]))
            .collect();
        for _ in 0..RX_DEPTH as usize / RX_BATCH {
            end.qp
                .post_recv(&batch)
                .map_err(|e| format!("post_recv: {e}"))?;
        }
        Ok(Receiver {
            end,
            batch,
            wc: [WorkCompletion::default(); RX_BATCH],
            received: 0,
            owed: 0,
            iters,
        })
    }

    pub(crate) fn done(&self) -> bool {
        self.received >= self.iters
    }

    /// Polls until the CQ is drained, re-posting what was consumed (as a
    /// server thread spinning on the CQ would); returns how many arrived.
    pub(crate) fn step(&mut self) -> Result<u64, String> {
        let mut arrived = 0;
        loop {
            let got = self.poll_once()?;
            arrived += got;
            if got < RX_BATCH as u64 {
                return Ok(arrived);
            }
        }
    }

    /// Polls once and re-posts what was consumed; returns how many arrived.
    fn poll_once(&mut self) -> Result<u64, String> {
        let got = self
            .end
            .recv_cq
            .poll(&mut self.wc)
            .map_err(|e| e.to_string())?;
        if let Some(bad) = self.wc[..got]
            .iter()
            .find(|c| c.status != WcStatus::Success)
        {
            return Err(format!("receive failed: {}", bad.status.as_str()));
        }
        self.received += got as u64;
        self.owed += got;
        while self.owed >= RX_BATCH {
            self.end
                .qp
                .post_recv(&self.batch)
                .map_err(|e| format!("post_recv: {e}"))?;
            self.owed -= RX_BATCH;
        }
        Ok(got as u64)
    }
}

/// The line of `messages` messages of `size` bytes (every QP's).
pub(crate) fn line(size: u64, messages: u64, stamps: &Stamps, memcpy_mib: f64) -> BwLine {
    let c = &stamps.completions;
    let total = c.last().map_or(0.0, |(t, _)| t.as_secs_f64()).max(1e-9);
    let avg_mib = (size * messages) as f64 / MIB / total;
    let window = (c.len() / 100).max(1);
    let peak_mib = c
        .windows(window + 1)
        .filter_map(|w| {
            let (t0, n0) = w[0];
            let (t1, n1) = w[window];
            let secs = (t1 - t0).as_secs_f64();
            (secs > 0.0).then(|| ((n1 - n0) * size) as f64 / MIB / secs)
        })
        .fold(avg_mib, f64::max);
    BwLine {
        bytes: size,
        iters: messages,
        peak_mib,
        avg_mib,
        mpps: messages as f64 / total / 1e6,
        memcpy_mib,
    }
}

/// Plain memcpy of `size` bytes, `iters` times, in MiB/s, between the very
/// buffers the test moved data between (so alignment and cache placement
/// are the same); the locks are taken once, outside the timed loop.
pub(crate) fn memcpy_mib(src: &Buffer, dst: &Buffer, size: u64, iters: u64) -> f64 {
    let size_bytes = size as usize;
    src.with(|src| {
        dst.with_mut(|dst| {
            let (src, dst) = (&src[..size_bytes], &mut dst[..size_bytes]);
            let start = Instant::now();
            for _ in 0..iters {
                dst.copy_from_slice(black_box(src));
                black_box(&mut *dst);
            }
            (size * iters) as f64 / MIB / start.elapsed().as_secs_f64().max(1e-9)
        })
    })
}
