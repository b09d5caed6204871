//! Management datagrams.

use bitflags::bitflags;

use super::gid::Gid;

/// A global route header (`struct ib_grh`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Grh {
    /// Version, traffic class and flow label.
    pub version_tclass_flow: u32,
    /// Payload length.
    pub paylen: u16,
    /// Next header.
    pub next_hdr: u8,
    /// Hop limit.
    pub hop_limit: u8,
    /// Source GID.
    pub sgid: Gid,
    /// Destination GID.
    pub dgid: Gid,
}

/// A management datagram: up to 256 bytes for InfiniBand, 2 KiB for OPA
/// (`struct ib_mad_hdr` and its payload).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Mad {
    /// The datagram, header first.
    pub data: Vec<u8>,
}

bitflags! {
    /// How `process_mad` is asked to handle a MAD (`IB_MAD_IGNORE_*`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct MadFlags: u32 {
        /// Do not check the M_Key.
        const IGNORE_MKEY = 1 << 0;
        /// Do not check the B_Key.
        const IGNORE_BKEY = 1 << 1;
    }
}

/// What `process_mad` produced (`IB_MAD_RESULT_*` with the out MAD).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MadResponse {
    /// The reply to send, if any.
    pub reply: Option<Mad>,
    /// The MAD was consumed and must not reach other agents.
    pub consumed: bool,
    /// P_Key index to send the reply with.
    pub pkey_index: u16,
}
