//! The fault harness: a UDP relay between two soft devices that drops,
//! duplicates, reorders, delays and corrupts RoCEv2 packets on a seeded
//! schedule (this machine's kernel has no `netem`, so the relay is the
//! wire). Device A talks to the relay's address `rb` as if it were B, and
//! B to `ra` as if it were A; the relay forwards each packet from the
//! other address, with its ICRC computed again for the new addresses (the
//! devices keep to their UDP sockets, `roce_raw_ip` off, so the ICRC
//! assumes IP identification 0 on every hop). A corrupted packet has a
//! byte flipped after that: its ICRC no longer matches.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ibops_soft::roce::{IpPseudo, UDP_PORT, icrc};

/// What the relay does to each packet, as probabilities in per mille.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Faults {
    /// Lost.
    pub(crate) drop: u32,
    /// Sent twice.
    pub(crate) duplicate: u32,
    /// Held back and sent after the next packet the same way.
    pub(crate) reorder: u32,
    /// Held back up to `max_delay`.
    pub(crate) delay: u32,
    /// A byte flipped (the ICRC no longer matches).
    pub(crate) corrupt: u32,
    /// The longest delay.
    pub(crate) max_delay: Duration,
}

/// What the relay did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RelayCounts {
    pub(crate) forwarded: u64,
    pub(crate) dropped: u64,
    pub(crate) duplicated: u64,
    pub(crate) reordered: u64,
    pub(crate) delayed: u64,
    pub(crate) corrupted: u64,
}

/// A running relay.
pub(crate) struct Relay {
    faults: Arc<Mutex<Faults>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<RelayCounts>>,
}

/// One way through the relay: packets arrive on `socket` and leave from
/// `out` to `to`.
struct Way {
    socket: UdpSocket,
    out_ip: Ipv4Addr,
    to: Ipv4Addr,
    /// A packet held back until the next one (reorder).
    held: Option<(Vec<u8>, Instant)>,
}

/// The longest a reordered packet waits for a next one.
const HOLD: Duration = Duration::from_millis(2);

impl Relay {
    /// Relays between `a` and `b`: A reaches B at `rb`, B reaches A at `ra`.
    pub(crate) fn start(
        (a, b): (Ipv4Addr, Ipv4Addr),
        (ra, rb): (Ipv4Addr, Ipv4Addr),
        faults: Faults,
        seed: u64,
    ) -> Relay {
        let bind = |ip| {
            let s = UdpSocket::bind((ip, UDP_PORT)).expect("relay socket");
            s.set_nonblocking(true).expect("nonblocking");
            s
        };
        let (sock_ra, sock_rb) = (bind(ra), bind(rb));
        let ways = [
            // From A (arriving at rb), leaving from ra to B.
            Way {
                socket: sock_rb.try_clone().expect("clone"),
                out_ip: ra,
                to: b,
                held: None,
            },
            Way {
                socket: sock_ra.try_clone().expect("clone"),
                out_ip: rb,
                to: a,
                held: None,
            },
        ];
        let outs = [sock_ra, sock_rb];
        let faults = Arc::new(Mutex::new(faults));
        let stop = Arc::new(AtomicBool::new(false));
        let (f, s) = (Arc::clone(&faults), Arc::clone(&stop));
        let thread = std::thread::spawn(move || run(ways, outs, &f, &s, seed));
        Relay {
            faults,
            stop,
            thread: Some(thread),
        }
    }

    /// Changes what it does from now on.
    pub(crate) fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(PoisonError::into_inner) = faults;
    }

    /// Stops it; what it did.
    pub(crate) fn stop(mut self) -> RelayCounts {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .map(|t| t.join().expect("relay thread"))
            .unwrap_or_default()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A small seeded generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: u32) -> bool {
        self.next() % 1000 < u64::from(per_mille)
    }
}

/// `outs[0]` sends from `ra`, `outs[1]` from `rb`; way 0 leaves through
/// `outs[0]`, way 1 through `outs[1]`.
fn run(
    mut ways: [Way; 2],
    outs: [UdpSocket; 2],
    faults: &Mutex<Faults>,
    stop: &AtomicBool,
    seed: u64,
) -> RelayCounts {
    let mut rng = Rng(seed | 1);
    let mut counts = RelayCounts::default();
    let mut delayed: VecDeque<(Instant, usize, Vec<u8>)> = VecDeque::new();
    let mut buf = vec![0u8; 65536];
    while !stop.load(Ordering::Relaxed) {
        let mut idle = true;
        let now = Instant::now();
        // Delayed packets whose time came.
        while let Some(pos) = delayed.iter().position(|(at, ..)| *at <= now) {
            if let Some((_, way, bytes)) = delayed.remove(pos) {
                send(&outs[way], &ways[way], &bytes);
            }
        }
        for (i, way) in ways.iter_mut().enumerate() {
            if let Some((bytes, since)) = way.held.take() {
                if since.elapsed() >= HOLD {
                    send(&outs[i], way, &bytes);
                } else {
                    way.held = Some((bytes, since));
                }
            }
            let Ok((len, _)) = way.socket.recv_from(&mut buf) else {
                continue;
            };
            idle = false;
            let f = *faults.lock().unwrap_or_else(PoisonError::into_inner);
            if len < 4 || rng.chance(f.drop) {
                counts.dropped += 1;
                continue;
            }
            let mut bytes = buf[..len].to_vec();
            reseal(&mut bytes, way.out_ip, way.to);
            if rng.chance(f.corrupt) {
                let at = (rng.next() % (len as u64 - 4)) as usize;
                bytes[at] ^= 0x5a;
                counts.corrupted += 1;
            }
            counts.forwarded += 1;
            if rng.chance(f.delay) {
                let wait = f.max_delay.mul_f64((rng.next() % 1000) as f64 / 1000.0);
                delayed.push_back((now + wait, i, bytes));
                counts.delayed += 1;
                continue;
            }
            if rng.chance(f.reorder) && way.held.is_none() {
                way.held = Some((bytes, now));
                counts.reordered += 1;
                continue;
            }
            send(&outs[i], way, &bytes);
            if rng.chance(f.duplicate) {
                send(&outs[i], way, &bytes);
                counts.duplicated += 1;
            }
            if let Some((held, _)) = way.held.take() {
                send(&outs[i], way, &held);
            }
        }
        if idle {
            std::thread::sleep(Duration::from_micros(50));
        }
    }
    counts
}

fn send(out: &UdpSocket, way: &Way, bytes: &[u8]) {
    let _ = out.send_to(bytes, SocketAddr::new(IpAddr::V4(way.to), UDP_PORT));
}

/// Computes the packet's ICRC again for its new hop, `from` → `to`.
fn reseal(bytes: &mut [u8], from: Ipv4Addr, to: Ipv4Addr) {
    let end = bytes.len() - 4;
    let pseudo = IpPseudo {
        src: IpAddr::V4(from),
        dst: IpAddr::V4(to),
        src_port: UDP_PORT,
        dst_port: UDP_PORT,
        ipv4_id: 0,
    };
    let crc = icrc(&pseudo, &bytes[..end]);
    bytes[end..].copy_from_slice(&crc.to_le_bytes());
}
