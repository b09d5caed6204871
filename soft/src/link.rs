//! The RoCEv2 link of a soft device configured with an address
//! (`SoftConfig::roce`): a UDP socket bound to it and the thread that
//! receives from it. Over IPv4 the ICRC covers the IP header's
//! identification, which a UDP socket leaves to the kernel; so where the
//! process may open a raw socket (`CAP_NET_RAW`), the link writes its IPv4
//! and UDP headers itself and reads every arriving packet's real header
//! there, as a peer such as the kernel's rxe checks it. Without one it
//! falls back to the UDP socket, and its ICRCs then assume identification
//! 0 on both ends: two soft devices agree, a hardware or rxe peer would
//! not.
//!
//! The link carries packets; what they mean is the [`wire`](crate::wire)
//! transport's business: the receive thread checks each packet (lengths,
//! opcode, ICRC) and hands it over, and between packets (at least every
//! few milliseconds) it lets the transport's timers run.

use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::ops::Range;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, SockFilter, Socket, Type};

use ibops::device::{Device, WeakDevice};
use ibops::error::{Error, Result};

use crate::roce::headers::be;
use crate::roce::icrc::v6;
use crate::roce::{IpPseudo, Packet, ParseError, UDP_PORT, ipv4_udp, ipv6_udp};

/// How long the receive thread waits for a packet before it runs the
/// transport's timers and checks that its device still exists.
const POLL: Duration = Duration::from_millis(2);

/// The IPv4 and UDP headers the link writes before each packet.
const IP_UDP_BYTES: usize = 28;

/// The most packets taken without waiting before the owed ACKs go out.
const DRAIN_MAX: usize = 64;

/// How long the receive thread keeps polling after the last packet before
/// it waits again.
const HOT_FOR: Duration = Duration::from_micros(100);

/// The largest datagram read.
const MAX_DATAGRAM: usize = 65_536;

/// The receive buffer each socket asks for (the kernel caps it at
/// `net.core.rmem_max`): room for the packets a window of requests puts
/// in flight at once.
const RECV_BUFFER: usize = 4 << 20;

/// A device's socket and what it has dropped.
#[derive(Debug)]
pub(super) struct Link {
    socket: UdpSocket,
    /// The raw IPv4 socket the link sends and receives on, when it may.
    raw: Option<Socket>,
    /// The next IPv4 identification it writes (never 0, which the kernel
    /// would replace).
    next_id: AtomicU16,
    local: SocketAddr,
    /// Packets dropped because their ICRC did not match.
    pub(super) bad_icrc: AtomicU64,
    /// Packets dropped for anything else.
    pub(super) dropped: AtomicU64,
    /// Packets sent again after a timeout, a NAK or an RNR wait.
    pub(super) retransmitted: AtomicU64,
    /// Requests that arrived again and were answered again.
    pub(super) duplicates: AtomicU64,
    /// QPs whose ACK waits for the packets that have arrived to be taken.
    owed: Mutex<Vec<u32>>,
}

/// What a device's RoCEv2 link has counted ([`roce_counters`](crate::roce_counters)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkCounters {
    /// Packets whose ICRC did not match their bytes.
    pub bad_icrc: u64,
    /// Packets dropped for anything else: not a packet, no QP of that
    /// number to take it, a wrong Q_Key, a response nothing waits for, a
    /// request out of sequence.
    pub dropped: u64,
    /// Packets the requester sent again (after a timeout, a PSN sequence
    /// NAK or an RNR NAK).
    pub retransmitted: u64,
    /// Duplicate requests the responder answered again without executing
    /// them twice.
    pub duplicates: u64,
}

impl Link {
    /// Its counters now.
    pub(super) fn counters(&self) -> LinkCounters {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        LinkCounters {
            bad_icrc: load(&self.bad_icrc),
            dropped: load(&self.dropped),
            retransmitted: load(&self.retransmitted),
            duplicates: load(&self.duplicates),
        }
    }

    /// Counts one more in `counter`.
    pub(super) fn count(counter: &AtomicU64) {
        Link::count_n(counter, 1);
    }

    /// Counts `n` more in `counter`.
    pub(super) fn count_n(counter: &AtomicU64, n: u32) {
        counter.fetch_add(u64::from(n), Ordering::Relaxed);
    }
}

/// A packet that arrived for this device, checked.
pub(super) struct Arrived<'p> {
    /// The sender's address.
    pub(super) from: IpAddr,
    /// The 40 bytes a UD receive starts with: the sender's IP header.
    pub(super) grh: [u8; 40],
    /// The packet.
    pub(super) packet: Packet<'p>,
}

/// What the link hands arriving packets to, and what it runs between
/// them: the transport above it.
#[derive(Clone, Copy)]
pub(super) struct Upcalls {
    /// Takes one packet; `false` when nothing took it (it is counted as
    /// dropped).
    pub(super) deliver: fn(&Device, &Link, &Arrived<'_>) -> bool,
    /// Runs the transport's timers.
    pub(super) tick: fn(&Device, &Link),
    /// Sends the ACKs owed ([`Link::take_owed`]).
    pub(super) flush: fn(&Device, &Link),
}

impl Link {
    /// Binds `addr` (port 4791 when it gives none); `raw_ip` to write IPv4
    /// headers on a raw socket where the process may.
    pub(super) fn bind(addr: SocketAddr, raw_ip: bool) -> Result<Link> {
        let addr = if addr.port() == 0 {
            SocketAddr::new(addr.ip(), UDP_PORT)
        } else {
            addr
        };
        let socket = UdpSocket::bind(addr).map_err(|e| match e.kind() {
            io::ErrorKind::AddrInUse => Error::AlreadyExists(format!("RoCEv2 address {addr}")),
            _ => Error::NotFound(format!("RoCEv2 address {addr}: {e}")),
        })?;
        socket
            .set_read_timeout(Some(POLL))
            .map_err(|e| Error::NotFound(format!("RoCEv2 address {addr}: {e}")))?;
        let local = socket
            .local_addr()
            .map_err(|e| Error::NotFound(format!("RoCEv2 address {addr}: {e}")))?;
        let raw = match local.ip() {
            IpAddr::V4(ip) if raw_ip => raw_ipv4(SocketAddrV4::new(ip, local.port())),
            _ => None,
        };
        // The socket that is read gets room for a window of packets (a
        // smaller buffer only drops more under load; the transport
        // recovers either way); the UDP socket beside a raw one only holds
        // the port, and the least room.
        let room = if raw.is_some() { 0 } else { RECV_BUFFER };
        let _ = socket2::SockRef::from(&socket).set_recv_buffer_size(room);
        Ok(Link {
            socket,
            raw,
            next_id: AtomicU16::new(1),
            local,
            bad_icrc: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            retransmitted: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            owed: Mutex::new(Vec::new()),
        })
    }

    /// The port GID: the address in IPv4-mapped IPv6 form (or the IPv6
    /// address), as the kernel lists a RoCEv2 GID.
    pub(super) fn gid(&self) -> [u8; 16] {
        v6(self.local.ip()).octets()
    }

    /// Sends `packet` to the device at `dst`.
    pub(super) fn send(&self, dst: IpAddr, packet: &Packet<'_>) -> io::Result<()> {
        let (raw, src, dst4) = match (&self.raw, self.local.ip(), dst) {
            (Some(raw), IpAddr::V4(src), IpAddr::V4(dst4)) => (Some(raw), src, dst4),
            _ => (None, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED),
        };
        let ipv4_id = if raw.is_some() { self.next_id() } else { 0 };
        let pseudo = IpPseudo {
            src: self.local.ip(),
            dst,
            src_port: self.local.port(),
            dst_port: UDP_PORT,
            ipv4_id,
        };
        match raw {
            Some(raw) => {
                // The kernel fills in the IP checksum.
                let ports = (self.local.port(), UDP_PORT);
                // Room for the IP and UDP headers first, filled in once the
                // packet's length is known.
                let mut wire = Vec::with_capacity(92 + packet.payload.len());
                wire.resize(IP_UDP_BYTES, 0);
                packet.encode(&pseudo, &mut wire);
                let header = ipv4_udp(src, dst4, ipv4_id, ports, wire.len() - IP_UDP_BYTES);
                wire[..IP_UDP_BYTES].copy_from_slice(&header);
                raw.send_to(&wire, &SockAddr::from(SocketAddr::new(dst, 0)))?;
            }
            None => {
                let mut roce = Vec::with_capacity(64 + packet.payload.len());
                packet.encode(&pseudo, &mut roce);
                self.socket.send_to(&roce, SocketAddr::new(dst, UDP_PORT))?;
            }
        }
        Ok(())
    }

    /// The next IPv4 identification: counts up, skipping 0.
    fn next_id(&self) -> u16 {
        loop {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            if id != 0 {
                return id;
            }
        }
    }

    /// Starts the thread that receives for `device` and hands each packet
    /// to `upcalls`; it ends when the device is gone.
    pub(super) fn start(self: &Arc<Link>, device: WeakDevice, upcalls: Upcalls) -> Result<()> {
        let link = Arc::clone(self);
        std::thread::Builder::new()
            .name(format!("roce-{}", self.local))
            .spawn(move || link.receive(&device, upcalls))
            .map(drop)
            .map_err(|_| Error::NoMemory("the RoCEv2 receive thread"))
    }

    fn receive(&self, device: &WeakDevice, upcalls: Upcalls) {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let mut last_tick = Instant::now();
        loop {
            let received = self.read_one(&mut buf);
            let Some(device) = device.upgrade() else {
                return;
            };
            if last_tick.elapsed() >= POLL {
                last_tick = Instant::now();
                (upcalls.tick)(&device, self);
            }
            match received {
                Ok(Some((range, from, ipv4_id))) => {
                    self.handle(&device, upcalls, &buf[range], from, ipv4_id);
                }
                // A raw socket sees every UDP packet of the host.
                Ok(None) => continue,
                Err(e) if would_block(&e) => continue,
                Err(_) => return,
            }
            self.stay_hot(&device, upcalls, &mut buf, last_tick);
        }
    }

    /// After a packet, keeps reading without waiting while packets come,
    /// and for [`HOT_FOR`] after the last one, giving way between empty
    /// reads: a busy poll, as the kernel's NAPI does, so that an answer
    /// that follows soon is read without a thread wakeup. The ACKs owed go
    /// out whenever nothing is left to read (one per QP for all the packets
    /// taken: coalesced), or after [`DRAIN_MAX`] packets. It returns to
    /// waiting when the line goes quiet or the timers are due.
    fn stay_hot(&self, device: &Device, upcalls: Upcalls, buf: &mut [u8], last_tick: Instant) {
        if self.set_nonblocking(true).is_err() {
            (upcalls.flush)(device, self);
            return;
        }
        let mut last_packet = Instant::now();
        let mut since_flush = 0;
        loop {
            match self.read_one(buf) {
                Ok(Some((range, from, ipv4_id))) => {
                    self.handle(device, upcalls, &buf[range], from, ipv4_id);
                    last_packet = Instant::now();
                    since_flush += 1;
                    if since_flush >= DRAIN_MAX {
                        (upcalls.flush)(device, self);
                        since_flush = 0;
                    }
                }
                Ok(None) => {}
                Err(e) if would_block(&e) => {
                    if self.owes_acks() {
                        (upcalls.flush)(device, self);
                        since_flush = 0;
                    }
                    if last_packet.elapsed() >= HOT_FOR || last_tick.elapsed() >= POLL {
                        break;
                    }
                    std::thread::yield_now();
                }
                Err(_) => break,
            }
        }
        // Back to waiting with a timeout; should that fail, the loop still
        // works, polling.
        let _ = self.set_nonblocking(false);
        (upcalls.flush)(device, self);
    }

    /// Reads one datagram: its packet's range in `buf`, its source and IP
    /// identification; `None` for a packet to another address.
    fn read_one(&self, buf: &mut [u8]) -> io::Result<Option<(Range<usize>, SocketAddr, u16)>> {
        match &self.raw {
            Some(raw) => {
                let mut raw: &Socket = raw;
                let len = raw.read(buf)?;
                Ok(self.unwrap_ipv4(&buf[..len]))
            }
            None => {
                let (len, from) = self.socket.recv_from(buf)?;
                Ok(Some((0..len, from, 0)))
            }
        }
    }

    /// Switches the socket read to non-blocking mode or back.
    fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        match &self.raw {
            Some(raw) => raw.set_nonblocking(on),
            None => self.socket.set_nonblocking(on),
        }
    }

    /// Checks one datagram and hands its packet over; counts what it drops.
    fn handle(&self, device: &Device, upcalls: Upcalls, bytes: &[u8], from: SocketAddr, id: u16) {
        match self.arrived(bytes, from, id) {
            Ok(arrived) if (upcalls.deliver)(device, self, &arrived) => {}
            Err(ParseError::BadIcrc { .. }) => Link::count(&self.bad_icrc),
            Ok(_) | Err(_) => Link::count(&self.dropped),
        }
    }

    /// Records that QP `qpn` owes its requester an ACK, sent once the
    /// packets that have arrived are taken.
    pub(super) fn owe_ack(&self, qpn: u32) {
        let mut owed = self.owed.lock().unwrap_or_else(PoisonError::into_inner);
        if !owed.contains(&qpn) {
            owed.push(qpn);
        }
    }

    /// Whether an ACK is owed.
    fn owes_acks(&self) -> bool {
        !self
            .owed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// The QPs that owe an ACK; none owes one afterwards.
    pub(super) fn take_owed(&self) -> Vec<u32> {
        core::mem::take(&mut *self.owed.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Hands `body` (a packet without its ICRC) to `upcalls` as if it had
    /// arrived from `from`, on the caller's thread, its ICRC made right
    /// first: for fuzzing the transport's checks past the ICRC. `false`
    /// when it is not a packet or nothing took it.
    pub(super) fn inject(
        &self,
        device: &Device,
        upcalls: Upcalls,
        from: SocketAddr,
        body: &[u8],
    ) -> bool {
        let pseudo = self.arriving_from(from, 0);
        let mut bytes = body.to_vec();
        bytes.extend_from_slice(&crate::roce::icrc(&pseudo, body).to_le_bytes());
        let taken = match self.arrived(&bytes, from, 0) {
            Ok(arrived) => (upcalls.deliver)(device, self, &arrived),
            Err(_) => false,
        };
        (upcalls.flush)(device, self);
        taken
    }

    /// The endpoints a packet from `from` to this link covers in its ICRC,
    /// with the IPv4 identification it arrived with.
    fn arriving_from(&self, from: SocketAddr, ipv4_id: u16) -> IpPseudo {
        IpPseudo {
            src: from.ip(),
            dst: self.local.ip(),
            src_port: from.port(),
            dst_port: self.local.port(),
            ipv4_id,
        }
    }

    /// The packet a datagram from `from` holds.
    fn arrived<'p>(
        &self,
        bytes: &'p [u8],
        from: SocketAddr,
        ipv4_id: u16,
    ) -> Result<Arrived<'p>, ParseError> {
        let packet = Packet::parse(bytes, &self.arriving_from(from, ipv4_id))?;
        Ok(Arrived {
            from: from.ip(),
            grh: grh(from.ip(), self.local.ip(), bytes.len()),
            packet,
        })
    }
}

impl Link {
    /// The UDP payload of a packet a raw socket read (an IPv4 header, a UDP
    /// header, the payload), with its source and identification, if it is a
    /// well-formed UDP packet to this link's address and port.
    fn unwrap_ipv4(&self, packet: &[u8]) -> Option<(Range<usize>, SocketAddr, u16)> {
        let IpAddr::V4(local) = self.local.ip() else {
            return None;
        };
        let ihl = usize::from(packet.first()? & 0x0f) * 4;
        let udp = packet.get(ihl..ihl + 8)?;
        let be16 = |b: &[u8], at: usize| be::<2>(&b[at..]) as u16;
        let for_us = packet[0] >> 4 == 4
            && ihl >= 20
            && packet[9] == 17
            && packet.get(16..20)? == local.octets()
            && be16(udp, 2) == self.local.port();
        let end = ihl + usize::from(be16(udp, 4));
        if !for_us || end > packet.len() || end < ihl + 8 {
            return None;
        }
        let src = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
        let from = SocketAddr::new(IpAddr::V4(src), be16(udp, 0));
        Some((ihl + 8..end, from, be16(packet, 4)))
    }
}

/// Whether `e` says only that nothing has arrived.
fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A raw IPv4 socket for UDP whose IP headers the link writes, or `None`
/// when the process may not open one. A raw socket sees every UDP packet
/// of the host: a socket filter keeps those to `local` (a device that does
/// not get one still checks each packet's address and port itself).
fn raw_ipv4(local: SocketAddrV4) -> Option<Socket> {
    let raw = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::UDP)).ok()?;
    raw.set_header_included_v4(true).ok()?;
    let _ = raw.attach_filter(&only_to(local));
    raw.set_read_timeout(Some(POLL)).ok()?;
    let _ = raw.set_recv_buffer_size(RECV_BUFFER);
    Some(raw)
}

/// A classic BPF program, run on each packet from its IPv4 header on, that
/// accepts a UDP packet to `to` and nothing else.
fn only_to(to: SocketAddrV4) -> [SockFilter; 7] {
    // Opcodes (linux/filter.h): load a word or half-word at an absolute or
    // X-relative offset, X = 4 * (IHL), jump if equal, return.
    const LD_W_ABS: u16 = 0x20;
    const LDX_B_MSH: u16 = 0xb1;
    const LD_H_IND: u16 = 0x48;
    const JEQ_K: u16 = 0x15;
    const RET_K: u16 = 0x06;
    [
        // The destination address.
        SockFilter::new(LD_W_ABS, 0, 0, 16),
        SockFilter::new(JEQ_K, 0, 4, u32::from(*to.ip())),
        // The UDP destination port, past the IP header's options.
        SockFilter::new(LDX_B_MSH, 0, 0, 0),
        SockFilter::new(LD_H_IND, 0, 0, 2),
        SockFilter::new(JEQ_K, 0, 1, u32::from(to.port())),
        SockFilter::new(RET_K, 0, 0, u32::MAX),
        SockFilter::new(RET_K, 0, 0, 0),
    ]
}

/// The 40 bytes a UD receive starts with: for IPv4, the 20-byte IPv4
/// header in the last 20 (rdma-core reads it there), for IPv6 the IPv6
/// header; the fields a router changes as they arrived are unknown to a
/// socket, so they read as the sender's defaults (TTL 64, no TOS).
fn grh(src: IpAddr, dst: IpAddr, packet_len: usize) -> [u8; 40] {
    let mut out = [0u8; 40];
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            out[20..].copy_from_slice(&ipv4_udp(s, d, 0, (0, 0), packet_len)[..20]);
        }
        (s, d) => out.copy_from_slice(&ipv6_udp(v6(s), v6(d), (0, 0), packet_len)[..40]),
    }
    out
}

/// The address a GID names: an IPv4-mapped GID is an IPv4 address.
pub(super) fn ip_of_gid(gid: [u8; 16]) -> IpAddr {
    let v6 = Ipv6Addr::from(gid);
    v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4)
}
