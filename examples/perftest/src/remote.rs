//! A test between two processes, perftest's way: `ibops-perftest TEST` is
//! the server, `ibops-perftest TEST HOST` the client. Each creates a soft
//! device with a RoCEv2 link on the address its TCP connection uses (or
//! `--roce-addr`), exchanges its destination over TCP in perftest's format,
//! and connects one RC QP to the other's GID. The client drives the
//! bandwidth tests and prints the table; the `send_bw` server keeps
//! receives posted; both ends take part in the `send_lat` and `write_lat`
//! ping-pongs; the WRITE, READ and atomic servers are passive. The ends
//! synchronize over TCP after connecting and after each size.

use std::time::{Duration, Instant};

use ibops::oob::{OobChannel, random_psn};
use ibops::prelude::*;
use ibops_soft::SoftConfig;

use crate::bw::{self, Receiver, Target};
use crate::end::{ACCESS, End, Queues, address};
use crate::exchange::{Dest, hand_shake};
use crate::idle::idle;
use crate::lat::{self, Exchange};
use crate::options::{Options, Test};
use crate::report::{self, Banner, BwLine, LatStats, Progress};

/// Receives the `send_bw` server keeps posted.
const RX_DEPTH_BW: u32 = 8192;
/// Receives of the latency tests.
const RX_DEPTH_LAT: u32 = 64;
/// READs and atomics each end may have outstanding.
const OUT_READS: u8 = 16;
/// How long a client keeps trying to reach a server not listening yet.
const CONNECT_FOR: Duration = Duration::from_secs(10);
/// The longest the `send_bw` server waits for the last message.
const STUCK: Duration = Duration::from_secs(60);

pub(crate) fn run(options: &Options) -> Result<(), String> {
    let port = options.tcp_port;
    let mut channel = match &options.server {
        Some(host) => OobChannel::connect(host, port, CONNECT_FOR)
            .map_err(|e| format!("Couldn't connect to {host}:{port}: {e}"))?,
        None => {
            OobChannel::accept(port).map_err(|e| format!("Couldn't listen to port {port}: {e}"))?
        }
    };
    if matches!(options.test, Test::UdpBw | Test::UdpLat) {
        return crate::udp::run(options, &mut channel);
    }
    crate::idle::give_way();
    let client = options.server.is_some();
    let ip = options.roce_addr.unwrap_or(channel.local_ip);
    let mut config = SoftConfig::new("soft0");
    config.roce = Some(std::net::SocketAddr::new(ip, 0));
    let device = config.probe().map_err(|e| e.to_string())?;
    let size = options.sizes.iter().copied().max().unwrap_or(8);
    let rq_depth = if options.test.is_latency() {
        RX_DEPTH_LAT
    } else {
        RX_DEPTH_BW
    };
    let queues = Queues {
        sq_depth: options.tx_depth,
        rq_depth,
        max_inline: options.inline_size,
    };
    let end = End::new(&device, size, queues).map_err(|e| e.to_string())?;
    let gid = device
        .query_gid(1, options.gid_index)
        .map_err(|_| format!("can't read sgid of index {}", options.gid_index))?;
    let me = Dest {
        lid: 0,
        out_reads: u16::from(OUT_READS),
        qpn: end.qp.qp_num(),
        psn: random_psn(),
        buf: end.inbox(),
        gid,
    };
    let peer = hand_shake(&mut channel, &me)?;
    let path = RcPath {
        sgid_index: options.gid_index as u8,
        mtu: options.mtu,
        access: ACCESS,
        max_rd_atomic: OUT_READS,
        max_dest_rd_atomic: OUT_READS,
        ..RcPath::default()
    };
    let remote = RcEndpoint {
        lid: peer.lid,
        qpn: peer.qpn,
        psn: peer.psn,
        gid: peer.gid,
    };
    end.qp
        .connect_to(me.psn, &remote, &path)
        .map_err(|e| format!("Couldn't connect to remote QP: {e}"))?;
    // Both QPs are ready to receive before either sends.
    hand_shake(&mut channel, &me)?;
    report::banner(
        options,
        &Banner {
            device: device.name(),
            method: "Ethernet",
            local: with_gid(address(me.lid, me.qpn, me.psn, me.buf), me.gid),
            remote: with_gid(address(peer.lid, peer.qpn, peer.psn, peer.buf), peer.gid),
        },
    );
    if options.test.is_latency() {
        report::lat_header(options);
    } else {
        report::bw_header(options);
    }
    let progress = Progress::new(options.sizes.len());
    for (k, &size) in options.sizes.iter().enumerate() {
        one_size(options, &end, &peer, size, client, &mut channel, &me)?;
        progress.tick(k + 1, size);
    }
    report::footer(options);
    if !options.json
        && let Ok(Some(c)) = ibops_soft::roce_counters(&device)
    {
        println!(
            " RoCEv2 link: {} packets sent again, {} duplicates answered, {} dropped, {} bad ICRC",
            c.retransmitted, c.duplicates, c.dropped, c.bad_icrc
        );
    }
    Ok(())
}

/// One size of the test at this end.
fn one_size(
    options: &Options,
    end: &End,
    peer: &Dest,
    size: u64,
    client: bool,
    channel: &mut OobChannel,
    me: &Dest,
) -> Result<(), String> {
    let iters = options.iters;
    let inline = size <= u64::from(options.inline_size);
    match options.test {
        Test::SendLat | Test::WriteLat => {
            let how = if options.test == Test::SendLat {
                Exchange::Send
            } else {
                Exchange::Write
            };
            let usec = lat::side(end, peer.buf, size, iters, how, inline, client)?;
            if client {
                report::lat_line(options, size, iters, &LatStats::of(usec));
            }
        }
        Test::ReadLat if client => {
            let usec = lat::read(end, peer.buf, size, iters)?;
            report::lat_line(options, size, iters, &LatStats::of(usec));
        }
        Test::SendBw if !client => {
            let mut receiver = Receiver::new(end, size, iters)?;
            // The receives are posted: the client may send.
            hand_shake(channel, me)?;
            let start = Instant::now();
            let mut empty = 0u32;
            while !receiver.done() {
                if receiver.step()? > 0 {
                    empty = 0;
                    continue;
                }
                // Read the clock now and then, not on every empty poll.
                idle();
                empty = empty.wrapping_add(1);
                if empty.is_multiple_of(4096) && start.elapsed() > STUCK {
                    return Err("messages stopped arriving".to_owned());
                }
            }
        }
        Test::SendBw | Test::WriteBw | Test::ReadBw | Test::AtomicBw if client => {
            if options.test == Test::SendBw {
                hand_shake(channel, me)?;
            }
            let target = [Target {
                end,
                opcode: bw::opcode(options.test, peer.buf),
            }];
            let mut between = || {
                idle();
                Ok(0)
            };
            let stamps = bw::requester(options, &target, size, Instant::now(), &mut between)?;
            let scratch = Buffer::new(size as usize).map_err(|e| e.to_string())?;
            let memcpy = bw::memcpy_mib(&end.buf, &scratch, size, iters);
            let line: BwLine = bw::line(size, iters, &stamps, memcpy);
            report::bw_line(options, &line);
        }
        // The passive server of a READ, WRITE or atomic test.
        _ => {}
    }
    // The end of this size: both ends are done with it.
    hand_shake(channel, me)?;
    Ok(())
}

/// perftest's address line with the GID after it.
fn with_gid(line: String, gid: Gid) -> String {
    let bytes: Vec<String> = gid.0.iter().map(|b| format!("{b:02}")).collect();
    format!("{line}\n GID: {}", bytes.join(":"))
}
