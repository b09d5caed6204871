//! The soft device's limits: what `query_device` and `query_port` report
//! and what creating objects is checked against.

use ibops::error::{Error, Result};
use ibops::verbs::Mtu;

/// Limits of a soft device. Requests above them fail with
/// [`Error::LimitExceeded`] naming the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Queue pairs per device.
    pub max_qp: u32,
    /// Work requests per send or receive queue.
    pub max_qp_wr: u32,
    /// Scatter/gather entries per work request.
    pub max_sge: u32,
    /// Bytes of inline data per send work request.
    pub max_inline_data: u32,
    /// Completion queues per device.
    pub max_cq: u32,
    /// Entries per completion queue.
    pub max_cqe: u32,
    /// Completion vectors: a CQ's `comp_vector` is below it (rxe has one).
    pub num_comp_vectors: u32,
    /// Memory regions per device.
    pub max_mr: u32,
    /// Bytes per memory region.
    pub max_mr_size: u64,
    /// Protection domains per device.
    pub max_pd: u32,
    /// Shared receive queues per device.
    pub max_srq: u32,
    /// Work requests per shared receive queue.
    pub max_srq_wr: u32,
    /// Address handles per device.
    pub max_ah: u32,
    /// Outstanding RDMA READ and atomic requests per queue pair.
    pub max_qp_rd_atom: u32,
    /// Bytes per message on a connected queue pair.
    pub max_msg_sz: u32,
    /// The port's MTU: the largest UD message.
    pub mtu: Mtu,
}

impl Limits {
    /// The defaults: generous enough for perftest-style runs, small enough
    /// that tests can reach every one of them.
    pub const DEFAULT: Limits = Limits {
        max_qp: 1024,
        max_qp_wr: 16384,
        max_sge: 16,
        max_inline_data: 256,
        max_cq: 1024,
        max_cqe: 1 << 20,
        num_comp_vectors: 1,
        max_mr: 4096,
        max_mr_size: 1 << 32,
        max_pd: 1024,
        max_srq: 256,
        max_srq_wr: 16384,
        max_ah: 4096,
        max_qp_rd_atom: 16,
        max_msg_sz: 1 << 31,
        mtu: Mtu::Mtu4096,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}

/// `requested` against `limit`, named `what` in the error, for a size
/// that must be at least one (a queue of no entries is refused, as the
/// kernel refuses it, with the message `empty`).
///
/// # Errors
/// [`Error::InvalidArgument`] for zero; as [`check`] above the limit.
pub(super) fn check_size(
    what: &'static str,
    requested: impl Into<u64>,
    limit: impl Into<u64>,
    empty: &'static str,
) -> Result<()> {
    let requested = requested.into();
    if requested == 0 {
        return Err(Error::InvalidArgument(empty));
    }
    check(what, requested, limit)
}

/// `requested` against `limit`, named `what` in the error; either may be
/// any unsigned width up to `u64`.
pub(super) fn check(
    what: &'static str,
    requested: impl Into<u64>,
    limit: impl Into<u64>,
) -> Result<()> {
    let (requested, limit) = (requested.into(), limit.into());
    if requested > limit {
        Err(Error::LimitExceeded {
            what,
            requested,
            limit,
        })
    } else {
        Ok(())
    }
}
