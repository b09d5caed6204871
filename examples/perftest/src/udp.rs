//! The machine's yardsticks for the RoCEv2 runs: the same traffic as raw
//! UDP datagrams between the same two processes' addresses, measured with
//! the same tool. `udp_bw -s N --burst B` sends datagrams of `N` bytes,
//! keeping at most `--tx-depth` unacknowledged, and the server answers
//! every `B` datagrams with one small ACK datagram: the shape of RoCEv2's
//! traffic (one datagram per packet and one `sendto` per datagram, as the
//! soft device's link sends, and an ACK per message). `udp_lat -s N`
//! ping-pongs one datagram of `N` bytes and reports half the round trip.
//! The ends meet over TCP as the RoCE tests do and tell each other their
//! UDP addresses (their `--roce-addr`, port 4791). Both ends poll their
//! non-blocking socket (giving way when it is empty, as the RoCE tests'
//! pollers do) rather than sleep in `recv`: the fastest loop of the two
//! on this machine, so the yardstick is the strongest.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use ibops::oob::OobChannel;

use crate::bw::Stamps;
use crate::idle::idle;
use crate::options::{Options, Test};
use crate::report::{self, BwLine, LatStats};

/// The longest a run waits for a datagram before it gives up.
const STUCK: Duration = Duration::from_secs(30);
/// The UDP socket's receive buffer, as the soft device's link asks for.
const RECV_BUFFER: usize = 4 << 20;

/// Runs `udp_bw` or `udp_lat` at this end of `channel`.
pub(crate) fn run(options: &Options, channel: &mut OobChannel) -> Result<(), String> {
    let ip = options.roce_addr.unwrap_or(channel.local_ip);
    let socket =
        UdpSocket::bind((ip, ibops_soft::roce::UDP_PORT)).map_err(|e| format!("UDP {ip}: {e}"))?;
    let _ = socket2::SockRef::from(&socket).set_recv_buffer_size(RECV_BUFFER);
    socket.set_nonblocking(true).map_err(|e| e.to_string())?;
    let mine = address_message(socket.local_addr().map_err(|e| e.to_string())?);
    let theirs = channel.swap(&mine).map_err(|e| e.to_string())?;
    let peer = parse_address(&theirs)?;
    socket.connect(peer).map_err(|e| e.to_string())?;
    let size = options.sizes.first().copied().unwrap_or(24) as usize;
    let client = channel.client;
    match options.test {
        Test::UdpLat => {
            if client {
                report::lat_header(options);
            }
            let usec = ping_pong(&socket, size, options.iters, client)?;
            if client {
                report::lat_line(options, size as u64, options.iters, &LatStats::of(usec));
            }
        }
        _ if client => {
            report::bw_header(options);
            let stamps = blast(&socket, size, options)?;
            let (src, dst) = (scratch(size)?, scratch(size)?);
            let memcpy = crate::bw::memcpy_mib(&src, &dst, size as u64, options.iters);
            let line: BwLine = crate::bw::line(size as u64, options.iters, &stamps, memcpy);
            report::bw_line(options, &line);
        }
        _ => sink(&socket, options)?,
    }
    // Both ends are done.
    channel.swap(&mine).map_err(|e| e.to_string())?;
    Ok(())
}

/// The next datagram, polled for (giving way while there is none), for at
/// most [`STUCK`].
fn recv(socket: &UdpSocket, buf: &mut [u8]) -> std::io::Result<usize> {
    polled(|| socket.recv(buf))
}

/// Sends `datagram`, polling while the socket's buffer is full.
fn send(socket: &UdpSocket, datagram: &[u8]) -> std::io::Result<usize> {
    polled(|| socket.send(datagram))
}

/// Runs `io` until it does not say `WouldBlock`, giving way in between, for
/// at most [`STUCK`].
fn polled(mut io: impl FnMut() -> std::io::Result<usize>) -> std::io::Result<usize> {
    let start = Instant::now();
    let mut empty = 0u32;
    loop {
        match io() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                idle();
                empty = empty.wrapping_add(1);
                if empty.is_multiple_of(4096) && start.elapsed() > STUCK {
                    return Err(std::io::ErrorKind::TimedOut.into());
                }
            }
            other => return other,
        }
    }
}

/// A buffer of `size` bytes for the memcpy column.
fn scratch(size: usize) -> Result<ibops::Buffer, String> {
    ibops::Buffer::new(size).map_err(|e| e.to_string())
}

/// A socket address in a fixed 64-byte message.
fn address_message(addr: SocketAddr) -> [u8; 64] {
    let text = addr.to_string();
    let mut msg = [0u8; 64];
    msg[..text.len()].copy_from_slice(text.as_bytes());
    msg
}

fn parse_address(msg: &[u8]) -> Result<SocketAddr, String> {
    let text = msg.split(|b| *b == 0).next().unwrap_or_default();
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| "the peer's UDP address is not an address".to_owned())
}

/// The client of `udp_bw`: `iters` datagrams of `size` bytes, at most
/// `tx_depth` unacknowledged; when each ACK arrived and how many datagrams
/// it acknowledged.
fn blast(socket: &UdpSocket, size: usize, options: &Options) -> Result<Stamps, String> {
    let (iters, depth) = (options.iters, u64::from(options.tx_depth));
    let datagram = vec![0x5au8; size];
    let mut ack = [0u8; 64];
    let (mut sent, mut acked) = (0u64, 0u64);
    let mut completions = Vec::new();
    let start = Instant::now();
    while acked < iters {
        while sent < iters && sent - acked < depth {
            send(socket, &datagram).map_err(|e| format!("send: {e}"))?;
            sent += 1;
        }
        let n = recv(socket, &mut ack).map_err(|e| format!("no ACK: {e}"))?;
        let count = ack
            .get(..8)
            .filter(|_| n >= 8)
            .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or_default()));
        if count > acked {
            acked = count;
            completions.push((start.elapsed(), acked));
        }
    }
    Ok(Stamps { completions })
}

/// The server of `udp_bw`: counts datagrams and answers every `--burst`
/// of them (and the last) with an ACK holding the count.
fn sink(socket: &UdpSocket, options: &Options) -> Result<(), String> {
    let burst = u64::from(options.burst.max(1));
    let mut buf = vec![0u8; 65536];
    let mut count = 0u64;
    while count < options.iters {
        recv(socket, &mut buf).map_err(|e| format!("datagrams stopped: {e}"))?;
        count += 1;
        if count.is_multiple_of(burst) || count == options.iters {
            send(socket, &count.to_le_bytes()).map_err(|e| format!("send: {e}"))?;
        }
    }
    Ok(())
}

/// `udp_lat`: the client sends a datagram and waits for it back, `iters`
/// times; half of each round trip, in microseconds.
fn ping_pong(
    socket: &UdpSocket,
    size: usize,
    iters: u64,
    client: bool,
) -> Result<Vec<f64>, String> {
    let mut datagram = vec![0u8; size.max(1)];
    let mut usec = Vec::with_capacity(iters as usize);
    for _ in 0..iters {
        let start = Instant::now();
        if client {
            send(socket, &datagram).map_err(|e| format!("send: {e}"))?;
        }
        recv(socket, &mut datagram).map_err(|e| format!("no datagram: {e}"))?;
        if client {
            usec.push(start.elapsed().as_secs_f64() * 1e6 / 2.0);
        } else {
            send(socket, &datagram).map_err(|e| format!("send: {e}"))?;
        }
    }
    Ok(usec)
}
