//! `ibops-soft`: the reference provider, a complete software RDMA device.
//! In the process its QPs talk to each other by loopback: a work request
//! executes when it is posted, as a copy between registered buffers. With
//! a RoCEv2 link ([`SoftConfig::roce`]) they reach other processes and
//! hosts in IBTA packets over UDP.
//!
//! It is a crate of its own, built only on `ibops`'s public API, as an
//! out-of-tree provider would be: registered memory is reached through
//! [`ibops::buffer::Dma`], the public burst a provider's DMA engine uses.
//!
//! It is written like any provider: its ops tables are built with
//! `#[derive(DeviceOps)]` ([`ops`](self) module), merged at probe time (a
//! base table with every mandatory op, plus an SRQ table and an AH table
//! when the [`SoftConfig`] enables them), and registered through the public
//! API; each object's state is its [`Private`](ibops::Private) state.
//!
//! What it implements:
//! - device, port, GID and P_Key queries with the [`Limits`] it enforces;
//! - PDs; CQs with capacity, poll, peek, notification on a
//!   [`CompletionChannel`](ibops::verbs::CompletionChannel), resize and
//!   overrun (a completion that does not fit is lost, the QP that made it
//!   goes to the error state and `poll` reports the overrun once the CQ is
//!   empty);
//! - MRs over [`Buffer`](ibops::Buffer)s with lkey/rkey, access, bounds and
//!   PD checks; DMA MRs reaching every region of their PD;
//! - RC and UD QPs with the IBTA state machine, required and optional
//!   attributes per transition as `ib_modify_qp_is_ok` defines them;
//! - SEND (with immediate), RDMA WRITE (with immediate), RDMA READ, atomic
//!   compare-and-swap and fetch-and-add, UD SEND with the 40-byte GRH
//!   reservation, zero-length operations, signaled and unsignaled requests,
//!   inline data (copied at post time: the buffer may be reused as soon as
//!   `post_send` returns, even when the request waits);
//! - posting rules and completion statuses as the `requester` module
//!   describes; an error moves the QP to ERR and flushes what is
//!   outstanding; RESET recovers;
//! - SRQs shared by several QPs;
//! - `drain_sq` and `drain_rq`: the QP enters ERR, which flushes what is
//!   outstanding at once;
//! - asynchronous events to the handlers registered on the device
//!   ([`Device::register_event_handler`](ibops::Device::register_event_handler)):
//!   port up and down ([`set_port_active`]), CQ error and QP fatal on a CQ
//!   overrun, SRQ limit reached, last WQE reached for a QP on an SRQ that
//!   enters ERR. They are delivered when the verb that caused them returns,
//!   with none of the device's locks held, so a handler may call verbs;
//! - RNR: a SEND without a receive waits for one with `rnr_retry` 7, and
//!   otherwise retries `rnr_retry` times after the responder's
//!   `min_rnr_timer` delay (a timer thread per device, alive only while a
//!   retry is due) before failing with `RNR_RETRY_EXC_ERR`;
//! - a QP that fails as a responder flushes its own pending sends before
//!   the post that made it fail returns;
//! - RoCEv2 ([`SoftConfig::roce`]): the device binds a UDP address and its
//!   QPs reach other processes and hosts in IBTA packets ([`roce`]). RC
//!   across the link segments at the path MTU, numbers packets from
//!   `sq_psn`/`rq_psn`, is acknowledged (coalesced ACKs), retransmits after
//!   the local ACK timeout (`retry_cnt` times, then `RETRY_EXC_ERR`), after
//!   a PSN sequence NAK and after an RNR NAK's wait, and answers duplicate
//!   requests again without executing them twice (READ and atomic answers
//!   kept, `max_dest_rd_atomic` of them).
//!
//! Not supported, by design, each answering exactly `NotSupported` of the
//! op: UC and XRC queue pairs (`create_qp`), memory windows (`alloc_mw`,
//! `dealloc_mw`), and every op the tables do not name.
//!
//! The modules follow the kernel's rxe and import one way only: `verbs`
//! (the ops the tables name) above `requester` (a send queue's post lists)
//! above `wire` (the same three roles across the link, in packets) above
//! `responder` (what a message does at the QP it reaches) above
//! `completer` (send completions, the error state and its flushes), above
//! the state (`device`, `qp`, `recv`, `cq` with the completions it stores
//! in `cqe`, `keys`, `memory`, `pending`, `timer`, `deferred`).
//!
//! Everything is `Send + Sync`; locks are taken in one order (send queue,
//! key table, receive queue, its inbox, CQ (its pollers' end before its
//! producers'), buffers), so posters and
//! pollers on many threads cannot deadlock. The crate has no `unsafe` code:
//! registered memory is reached through [`Buffer`](ibops::Buffer)'s locks,
//! held across a post list's copies and released before any other lock.
//!
//! A message's path keeps the layers a reader expects (requester,
//! responder, receive queue, scatter lists, the burst's copy); the few
//! marked `#[inline(always)]` are the ones callgrind showed the compiler
//! leaving as calls on that path (each cut instructions per message in
//! `ibops-perftest send_bw -s 8 --post-list 32`; BENCHMARKS.md).

#![forbid(unsafe_code)]

mod completer;
mod counts;
mod cq;
mod cqe;
mod deferred;
mod device;
mod keys;
mod limits;
mod link;
mod memory;
mod numbers;
mod ops;
mod pd;
mod pending;
mod qp;
mod recv;
mod requester;
mod responder;
pub mod roce;
mod sync;
mod timer;
mod transitions;
mod verbs;
mod wire;

pub use counts::LiveObjects;
pub use limits::Limits;
pub use link::LinkCounters;

use std::net::SocketAddr;
use std::sync::Arc;

use device::SoftDevice;
use ibops::device::{Device, DeviceBuilder};
use ibops::error::Result;
use ibops::registry::Registry;
use ops::{AhOps, BaseOps, SrqOps, table};

/// How to build a soft device.
#[derive(Clone, Debug)]
pub struct SoftConfig {
    /// The device name (`soft0`).
    pub name: String,
    /// The limits it reports and enforces.
    pub limits: Limits,
    /// Shared receive queues (merges the SRQ ops table).
    pub srq: bool,
    /// Address handles and UD datagrams (merges the AH ops table).
    pub ud: bool,
    /// Atomic operations (`atomic_cap` `Hca`).
    pub atomics: bool,
    /// The node GUID; the port GID's interface id. By default a locally
    /// administered EUI-64 derived from the name (first octet `0x02`: the
    /// universal/local bit set), as a software device has no vendor OUI.
    pub guid: u64,
    /// The address of its RoCEv2 link (port 4791 when it gives none), or
    /// `None` (the default) for a device that reaches only devices of its
    /// process. With one, the port GID at index 0 is the address (IPv4
    /// mapped); UD sends through an address handle with a GRH, and RC QPs
    /// connected with a GRH in their address vector, reach the GID's
    /// address as RoCEv2 packets (the `wire` module); an RC QP connected
    /// without a GRH still reaches a QP of its own device in process.
    pub roce: Option<SocketAddr>,
    /// Whether the link writes its own IPv4 headers on a raw socket where
    /// the process may open one (the default), so its ICRCs cover the real
    /// IP identification as a hardware or rxe peer checks them. `false`
    /// keeps to the UDP socket: ICRCs then assume identification 0, which
    /// another soft device (or a relay that rewrites packets, as the fault
    /// harness does) agrees with.
    pub roce_raw_ip: bool,
}

/// A locally administered EUI-64 for the device `name`: `02` followed by
/// 56 bits of the name's FNV-1a hash.
pub fn local_guid(name: &str) -> u64 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    0x0200_0000_0000_0000 | (hash & 0x00ff_ffff_ffff_ffff)
}

impl SoftConfig {
    /// A device called `name` with the default limits and every capability.
    pub fn new(name: impl Into<String>) -> SoftConfig {
        let name = name.into();
        SoftConfig {
            guid: local_guid(&name),
            name,
            limits: Limits::DEFAULT,
            srq: true,
            ud: true,
            atomics: true,
            roce: None,
            roce_raw_ip: true,
        }
    }

    /// Builds the device: merges the base table and the enabled capability
    /// tables, attaches the device state and registers it.
    ///
    /// # Errors
    /// A merge or registration error.
    pub fn probe(&self) -> Result<Device> {
        self.builder()?.register().and_then(attach)
    }

    /// As [`probe`](Self::probe), and adds the device to `registry`.
    ///
    /// # Errors
    /// As `probe`, or [`Error::AlreadyExists`](ibops::Error::AlreadyExists) for a name in use.
    pub fn probe_in(&self, registry: &Registry) -> Result<Device> {
        self.builder()?.register_in(registry).and_then(attach)
    }

    fn builder(&self) -> Result<DeviceBuilder> {
        let mut builder = DeviceBuilder::new(self.name.clone());
        builder.set_ops(table::<BaseOps>())?;
        if self.srq {
            builder.set_ops(table::<SrqOps>())?;
        }
        if self.ud {
            builder.set_ops(table::<AhOps>())?;
        }
        let events = builder.event_sender();
        let raw_ip = self.roce_raw_ip;
        let link = self.roce.map(|addr| link::Link::bind(addr, raw_ip));
        let link = link.transpose()?.map(Arc::new);
        builder.ports(1).private(SoftDevice::new(
            self.limits,
            self.atomics,
            self.guid,
            events,
            requester::rnr_due,
            requester::wake,
            link,
        ));
        Ok(builder)
    }
}

/// Gives the registered device's state a handle of the device, for its
/// timer.
fn attach(device: Device) -> Result<Device> {
    let soft = device::soft_device(&device)?;
    soft.attach(device.downgrade());
    if let Some(link) = &soft.link {
        link.start(device.downgrade(), wire::UPCALLS)?;
    }
    Ok(device)
}

/// A soft device called `name` with the default configuration.
///
/// # Errors
/// As [`SoftConfig::probe`].
pub fn probe(name: &str) -> Result<Device> {
    SoftConfig::new(name).probe()
}

/// Brings the port of soft device `device` up or down, as plugging or
/// pulling its cable would: a change raises
/// [`AsyncEvent::PortActive`](ibops::AsyncEvent::PortActive) or
/// [`PortErr`](ibops::AsyncEvent::PortErr), `query_port` reports the
/// state, and while the port is down RC requests fail with a transport
/// retry error and UD datagrams are lost.
///
/// # Errors
/// [`Error::WrongPrivate`](ibops::Error::WrongPrivate) when `device` is not a soft device.
pub fn set_port_active(device: &Device, active: bool) -> Result<()> {
    let soft = device::soft_device(device)?;
    let _events = soft.deferred.on_return();
    soft.set_port_active(active);
    Ok(())
}

/// How many objects of each kind `device` holds now.
///
/// # Errors
/// [`Error::WrongPrivate`](ibops::Error::WrongPrivate) when `device` is not a soft device.
pub fn live_objects(device: &Device) -> Result<LiveObjects> {
    Ok(device::soft_device(device)?.live())
}

/// What `device`'s RoCEv2 link has dropped, or `None` for a device without
/// one.
///
/// # Errors
/// [`Error::WrongPrivate`](ibops::Error::WrongPrivate) when `device` is not a soft device.
pub fn roce_counters(device: &Device) -> Result<Option<LinkCounters>> {
    Ok(device::soft_device(device)?
        .link
        .as_ref()
        .map(|l| l.counters()))
}

/// Hands `body`, a RoCEv2 packet without its ICRC, to `device`'s transport
/// as if it had arrived on its link from `from` (the ICRC is made right
/// first), on the caller's thread: `Ok(false)` when it is not a packet or
/// nothing took it. For fuzzing the responder's and the completer's checks
/// (`fuzz/fuzz_targets/roce_responder.rs`); not part of the verbs API.
///
/// # Errors
/// [`Error::WrongPrivate`](ibops::Error::WrongPrivate) when `device` is not
/// a soft device, [`Error::InvalidState`](ibops::Error::InvalidState) when it
/// has no link.
#[doc(hidden)]
pub fn inject_packet(device: &Device, from: SocketAddr, body: &[u8]) -> Result<bool> {
    let soft = device::soft_device(device)?;
    let link = soft
        .link
        .as_ref()
        .ok_or(ibops::Error::InvalidState("the device has no RoCEv2 link"))?;
    Ok(link.inject(device, wire::UPCALLS, from, body))
}
