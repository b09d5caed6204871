//! The requester's side of an RC QP whose peer is across the link: the
//! work requests it has sent (or may not send yet) and not completed, in
//! order, with what it needs to send each again, and its timers.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use ibops::verbs::{QpAttr, Sge, WcOpcode};

use crate::roce::{PSN_MASK, psn_add, psn_cmp};

/// The connected QP across the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Remote {
    /// The address its device binds.
    pub(crate) ip: IpAddr,
    /// Its QP number.
    pub(crate) qpn: u32,
}

/// What a request does at the responder, with what it needs to be sent
/// again.
#[derive(Debug)]
pub(crate) enum Work {
    /// SEND (with immediate): its bytes, gathered when it was posted.
    Send {
        /// Immediate data.
        imm: Option<u32>,
        /// The message.
        bytes: Vec<u8>,
    },
    /// RDMA WRITE (with immediate).
    Write {
        /// The remote address.
        va: u64,
        /// The remote key.
        rkey: u32,
        /// Immediate data.
        imm: Option<u32>,
        /// The message.
        bytes: Vec<u8>,
    },
    /// RDMA READ into the local SGEs.
    Read {
        /// The remote address.
        va: u64,
        /// The remote key.
        rkey: u32,
        /// Where the response lands.
        sges: Vec<Sge>,
        /// Response packets landed so far.
        packets: u32,
        /// Response bytes landed so far.
        landed: u32,
    },
    /// Compare-and-swap or fetch-and-add.
    Atomic {
        /// Compare-and-swap (else fetch-and-add).
        compare_swap: bool,
        /// The remote address.
        va: u64,
        /// The remote key.
        rkey: u32,
        /// The value to swap in, or to add.
        swap_add: u64,
        /// The value to compare with.
        compare: u64,
        /// Where the original value lands.
        sge: Sge,
    },
}

impl Work {
    /// Whether the responder answers it with data (a READ's response, an
    /// atomic's original value) rather than an ACK.
    pub(crate) fn reads(&self) -> bool {
        matches!(self, Work::Read { .. } | Work::Atomic { .. })
    }
}

/// One work request sent (or waiting to be) and not completed.
#[derive(Debug)]
pub(crate) struct InFlight {
    /// The work request's id.
    pub(crate) wr_id: u64,
    /// Whether it completes signaled.
    pub(crate) signaled: bool,
    /// Whether the responder's completion is solicited.
    pub(crate) solicited: bool,
    /// What it does.
    pub(crate) work: Work,
    /// The message length.
    pub(crate) len: u32,
    /// Its first PSN (valid once sent).
    pub(crate) first_psn: u32,
    /// How many PSNs it takes: its packets, or a READ's response packets.
    pub(crate) psns: u32,
    /// Whether it has been sent.
    pub(crate) sent: bool,
}

impl InFlight {
    /// Its last PSN.
    pub(crate) fn last_psn(&self) -> u32 {
        psn_add(self.first_psn, self.psns.saturating_sub(1))
    }

    /// Its completion opcode.
    pub(crate) fn opcode(&self) -> WcOpcode {
        match &self.work {
            Work::Send { .. } => WcOpcode::Send,
            Work::Write { .. } => WcOpcode::RdmaWrite,
            Work::Read { .. } => WcOpcode::RdmaRead,
            Work::Atomic {
                compare_swap: true, ..
            } => WcOpcode::CompSwap,
            Work::Atomic { .. } => WcOpcode::FetchAdd,
        }
    }

    /// Whether every PSN it takes is before `psn`.
    pub(crate) fn ends_before(&self, psn: u32) -> bool {
        psn_cmp(self.last_psn(), psn) < 0
    }
}

/// The requester's state of a QP connected across the link.
#[derive(Debug, Default)]
pub(crate) struct Outstanding {
    /// Its peer, set at INIT→RTR.
    pub(crate) remote: Option<Remote>,
    /// The requests not completed, oldest first.
    pub(crate) requests: VecDeque<InFlight>,
    /// The PSN the next request takes (`sq_psn`).
    pub(crate) next_psn: u32,
    /// Timeouts it may still retry after, before `RETRY_EXC_ERR`.
    pub(crate) retries_left: u8,
    /// RNR NAKs it may still retry after (`rnr_retry`; 7 is forever).
    pub(crate) rnr_left: u8,
    /// When the local ACK timer expires, while a request is unanswered.
    pub(crate) deadline: Option<Instant>,
    /// An RNR NAK's wait: when, and from which PSN, to send again.
    pub(crate) rnr_due: Option<(Instant, u32)>,
}

impl Outstanding {
    /// Whether requests are in flight across the link (the QP has a remote
    /// peer).
    pub(crate) fn is_remote(&self) -> bool {
        self.remote.is_some()
    }

    /// Starts the retry counts over from the QP's attributes (the peer
    /// made progress).
    pub(crate) fn rearm(&mut self, attr: &QpAttr) {
        self.retries_left = attr.retry_cnt;
        self.rnr_left = attr.rnr_retry;
        self.restart_timer(attr);
    }

    /// Starts the local ACK timer over while a request is sent and
    /// unanswered (stops it otherwise).
    pub(crate) fn restart_timer(&mut self, attr: &QpAttr) {
        self.deadline = self
            .requests
            .iter()
            .any(|r| r.sent)
            .then(|| local_ack_timeout(attr.timeout))
            .flatten()
            .map(|t| Instant::now() + t);
    }

    /// How many READs and atomics are sent and unanswered.
    pub(crate) fn reads_in_flight(&self) -> usize {
        self.requests
            .iter()
            .filter(|r| r.sent && r.work.reads())
            .count()
    }
}

/// The local ACK timeout code's delay: 4.096 µs × 2^`code`; 0 is none
/// (wait forever), as IBTA defines it.
pub(crate) fn local_ack_timeout(code: u8) -> Option<Duration> {
    (code != 0).then(|| Duration::from_nanos(4096u64 << code.min(31)))
}

/// A PSN as a QP attribute gives it, in the PSN space.
pub(crate) fn psn_of(attr_psn: u32) -> u32 {
    attr_psn & PSN_MASK
}
