//! The responder's side of an RC QP whose peer is across the link: the
//! PSN it expects, the message it is reassembling, and the READ and atomic
//! results it keeps to answer a duplicate request again
//! (`max_dest_rd_atomic` of them).

use std::collections::VecDeque;
use std::net::IpAddr;

use crate::roce::{Reth, psn_add};

/// A multi-packet message being received.
#[derive(Debug)]
pub(crate) enum Partial {
    /// A SEND's packets so far.
    Send(Vec<u8>),
    /// An RDMA WRITE's RETH and packets so far.
    Write(Reth, Vec<u8>),
}

/// An answered READ or atomic, kept for duplicates.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Resource {
    /// A READ request at `psn` and what it asked for.
    Read {
        /// The request's PSN.
        psn: u32,
        /// Its RETH.
        reth: Reth,
    },
    /// An atomic at `psn` and the original value it returned.
    Atomic {
        /// The request's PSN.
        psn: u32,
        /// The original value.
        orig: u64,
    },
}

impl Resource {
    fn psn(&self) -> u32 {
        match self {
            Resource::Read { psn, .. } | Resource::Atomic { psn, .. } => *psn,
        }
    }
}

/// The responder's state.
#[derive(Debug, Default)]
pub(crate) struct Inbound {
    /// Whether the QP is connected across the link (INIT→RTR with a GRH).
    pub(crate) connected: bool,
    /// The requester QP's number (set at INIT→RTR), the receive
    /// completions' source QP and where the answers go.
    pub(crate) remote_qpn: u32,
    /// The PSN expected next (`rq_psn`).
    pub(crate) epsn: u32,
    /// Messages completed, as the AETH's MSN counts them.
    pub(crate) msn: u32,
    /// The path MTU's bytes: a READ's response packets.
    pub(crate) mtu: u32,
    /// A PSN sequence NAK was sent for the expected PSN: the next is sent
    /// only once that PSN has arrived.
    pub(crate) nak_sent: bool,
    /// The message being reassembled.
    pub(crate) partial: Option<Partial>,
    /// An ACK owed to the requester at this address, of this PSN: sent
    /// once the packets that have arrived are taken (one ACK for them all).
    pub(crate) owed: Option<(IpAddr, u32)>,
    /// The latest READ and atomic answers, oldest first.
    resources: VecDeque<Resource>,
    /// How many are kept (`max_dest_rd_atomic`, at least one).
    pub(crate) max_resources: usize,
}

impl Inbound {
    /// Keeps `resource`, dropping the oldest past `max_resources`.
    pub(crate) fn keep(&mut self, resource: Resource) {
        while self.resources.len() >= self.max_resources.max(1) {
            self.resources.pop_front();
        }
        self.resources.push_back(resource);
    }

    /// The answer kept for a duplicate request at `psn`.
    pub(crate) fn resource(&self, psn: u32) -> Option<Resource> {
        self.resources
            .iter()
            .rev()
            .find(|r| r.psn() == psn)
            .copied()
    }

    /// Moves past a request that took `n` PSNs.
    pub(crate) fn advance(&mut self, n: u32) {
        self.epsn = psn_add(self.epsn, n);
    }

    /// The PSN a coalesced ACK for everything before the expected one names.
    pub(crate) fn last_done(&self) -> u32 {
        psn_add(self.epsn, 0x00ff_ffff)
    }
}
