//! The latency tests, perftest's way: `send_lat` and `write_lat` ping-pong
//! between a client and a server thread and report half of each round trip;
//! `read_lat` reports each READ's full round trip.

use std::thread;
use std::time::{Duration, Instant};

use ibops::prelude::*;

use crate::end::{End, Pair, Queues, RemoteBuf};
use crate::idle::idle;
use crate::limit;
use crate::options::{Options, Test};
use crate::report::{self, LatStats, Progress};

/// Receives each side keeps posted in `send_lat`.
const RX_DEPTH: u32 = 64;
/// How long one exchange may take before the run is declared stuck.
const STUCK: Duration = Duration::from_secs(10);

pub(crate) fn run(options: &Options) -> Result<(), String> {
    let progress = Progress::new(options.sizes.len());
    for (k, &size) in options.sizes.iter().enumerate() {
        let queues = Queues {
            sq_depth: options.tx_depth,
            rq_depth: RX_DEPTH,
            max_inline: options.inline_size,
        };
        let pair = Pair::new(size, queues).map_err(|e| e.to_string())?;
        if k == 0 {
            report::banner(options, &pair.banner());
            report::lat_header(options);
        }
        let usec = match options.test {
            Test::SendLat => ping_pong(&pair, size, options, Exchange::Send)?,
            Test::WriteLat => ping_pong(&pair, size, options, Exchange::Write)?,
            _ => read(&pair.client, pair.server.inbox(), size, options.iters)?,
        };
        let stats = LatStats::of(usec);
        report::lat_line(options, size, options.iters, &stats);
        if options.limit {
            let raw = LatStats::of(limit::ping_pong_usec(options.iters));
            let what = "cross-core ping-pong (half)";
            report::limit_line(options, what, "usec", stats.typical, raw.typical);
        }
        progress.tick(k + 1, size);
    }
    report::footer(options);
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exchange {
    Send,
    Write,
}

/// The client's half round trips, in microseconds.
fn ping_pong(pair: &Pair, size: u64, options: &Options, how: Exchange) -> Result<Vec<f64>, String> {
    // Messages up to the inline size go inline, as perftest sends them.
    let inline = size <= u64::from(options.inline_size);
    let iters = options.iters;
    thread::scope(|s| {
        let server = s.spawn(|| {
            side(
                &pair.server,
                pair.client.inbox(),
                size,
                iters,
                how,
                inline,
                false,
            )
        });
        let client = side(
            &pair.client,
            pair.server.inbox(),
            size,
            iters,
            how,
            inline,
            true,
        );
        let server = server
            .join()
            .unwrap_or_else(|_| Err("the server thread panicked".to_owned()));
        server.and(client)
    })
}

/// One side of the ping-pong: the client sends first; each side answers
/// what it receives. Returns the client's half round trips.
pub(crate) fn side(
    me: &End,
    peer: RemoteBuf,
    size: u64,
    iters: u64,
    how: Exchange,
    inline: bool,
    client: bool,
) -> Result<Vec<f64>, String> {
    let err = |e: Error| e.to_string();
    let recv = RecvWr::new(0, [me.sge(size)]);
    if how == Exchange::Send {
        for _ in 0..RX_DEPTH {
            me.qp.post_recv(std::slice::from_ref(&recv)).map_err(err)?;
        }
    }
    let opcode = match how {
        Exchange::Send => WrOpcode::Send,
        Exchange::Write => WrOpcode::RdmaWrite {
            remote_addr: peer.addr,
            rkey: peer.rkey,
        },
    };
    let mut wr = SendWr::new(0, opcode, [me.sge(size)]).signaled();
    if inline {
        wr.send_flags |= SendFlags::INLINE;
    }
    // The last byte of a message: where the sender puts the iteration's
    // mark, and where (in the second half) the receiver watches for it.
    let last = size as usize - 1;
    let mut wc = [WorkCompletion::default(); 8];
    let mut usec = Vec::with_capacity(iters as usize);
    let mut prev = Instant::now();
    for i in 0..iters {
        // The byte a WRITE leaves last in the peer's buffer marks iteration `i`.
        let mark = (i % 255) as u8 + 1;
        if client {
            send(me, &mut wr, mark, last, how)?;
        }
        wait_incoming(me, &mut wc, mark, last, how)?;
        if !client {
            send(me, &mut wr, mark, last, how)?;
        } else {
            let now = Instant::now();
            usec.push((now - prev).as_secs_f64() * 1e6 / 2.0);
            prev = now;
        }
        if how == Exchange::Send {
            me.qp.post_recv(std::slice::from_ref(&recv)).map_err(err)?;
        }
    }
    Ok(usec)
}

/// Posts the message of this iteration and frees the send-queue slot of
/// the previous one.
fn send(me: &End, wr: &mut SendWr, mark: u8, last: usize, how: Exchange) -> Result<(), String> {
    if how == Exchange::Write {
        me.buf.write(last, &[mark]).map_err(|e| e.to_string())?;
    }
    me.qp
        .post_send(std::slice::from_ref(wr))
        .map_err(|e| e.to_string())?;
    wr.wr_id += 1;
    let mut wc = [WorkCompletion::default(); 4];
    let start = Instant::now();
    loop {
        match me.send_cq.poll(&mut wc) {
            Ok(0) if start.elapsed() < STUCK => idle(),
            Ok(0) => return Err("send completion stuck".to_owned()),
            Ok(n) => {
                return match wc[..n].iter().find(|c| c.status != WcStatus::Success) {
                    Some(c) => Err(format!("send failed: {}", c.status.as_str())),
                    None => Ok(()),
                };
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Waits for the peer's message of this iteration: a receive completion,
/// or (WRITE) the last byte of the buffer changing to `mark`.
fn wait_incoming(
    me: &End,
    wc: &mut [WorkCompletion],
    mark: u8,
    last: usize,
    how: Exchange,
) -> Result<(), String> {
    let start = Instant::now();
    loop {
        let arrived = match how {
            Exchange::Send => match me.recv_cq.poll(&mut wc[..1]).map_err(|e| e.to_string())? {
                0 => false,
                _ if wc[0].status != WcStatus::Success => {
                    return Err(format!("receive failed: {}", wc[0].status.as_str()));
                }
                _ => true,
            },
            Exchange::Write => me.buf.with(|b| b[b.len() / 2 + last] == mark),
        };
        if arrived {
            return Ok(());
        }
        if start.elapsed() > STUCK {
            return Err("no message from the peer".to_owned());
        }
        idle();
    }
}

/// Each READ's full round trip, in microseconds.
pub(crate) fn read(me: &End, peer: RemoteBuf, size: u64, iters: u64) -> Result<Vec<f64>, String> {
    let op = WrOpcode::RdmaRead {
        remote_addr: peer.addr,
        rkey: peer.rkey,
    };
    let wr = SendWr::new(1, op, [me.sge(size)]).signaled();
    let mut wc = [WorkCompletion::default(); 1];
    let mut usec = Vec::with_capacity(iters as usize);
    for _ in 0..iters {
        let start = Instant::now();
        me.qp
            .post_send(std::slice::from_ref(&wr))
            .map_err(|e| e.to_string())?;
        loop {
            match me.send_cq.poll(&mut wc).map_err(|e| e.to_string())? {
                0 if start.elapsed() < STUCK => idle(),
                0 => return Err("read completion stuck".to_owned()),
                _ if wc[0].status != WcStatus::Success => {
                    return Err(format!("read failed: {}", wc[0].status.as_str()));
                }
                _ => break,
            }
        }
        usec.push(start.elapsed().as_secs_f64() * 1e6);
    }
    Ok(usec)
}
