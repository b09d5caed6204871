//! Per-op call statistics and tracing, recorded by the generated dispatch
//! when the `trace` feature is on (and compiled out when it is off: the
//! dispatch is then exactly a call through the table).
//!
//! Every op call through [`IbDeviceOps`](crate::IbDeviceOps)' dispatch
//! methods counts, per device, its calls, its errors and its total time,
//! and runs inside a `tracing` span named `op` with the op and device names;
//! its result is a `tracing` event in that span. An op whose parameters
//! name no device (`add_gid`, `mmap_free`, ...) counts in
//! [`unattributed`]. Read a device's counters with
//! [`Device::op_stats`](crate::Device::op_stats).

use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;

use crate::ops::OpId;

/// The counters of one op.
#[derive(Debug, Default)]
struct Counter {
    calls: AtomicU64,
    errors: AtomicU64,
    nanos: AtomicU64,
}

/// The counters of every op of one device (or of the calls no device
/// owns).
#[derive(Debug)]
pub struct OpStats {
    counters: Box<[Counter]>,
}

impl Default for OpStats {
    fn default() -> Self {
        OpStats {
            counters: OpId::ALL.iter().map(|_| Counter::default()).collect(),
        }
    }
}

/// What one op has done so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpStat {
    /// The op.
    pub op: OpId,
    /// How many times it was called (including calls the table could not
    /// serve: `NotSupported`).
    pub calls: u64,
    /// How many of them returned an error.
    pub errors: u64,
    /// The time spent in them, all together.
    pub total: Duration,
}

impl OpStat {
    /// The mean time of one call (zero without calls).
    pub fn mean(&self) -> Duration {
        if self.calls == 0 {
            return Duration::ZERO;
        }
        let nanos = self.total.as_nanos() / u128::from(self.calls);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

impl OpStats {
    /// Records one call of `op` that took `elapsed` and failed or not.
    pub fn record(&self, op: OpId, elapsed: Duration, failed: bool) {
        if let Some(c) = self.counters.get(op as usize) {
            c.calls.fetch_add(1, Ordering::Relaxed);
            c.errors.fetch_add(u64::from(failed), Ordering::Relaxed);
            let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
            c.nanos.fetch_add(nanos, Ordering::Relaxed);
        }
    }

    /// The ops called at least once, in struct order.
    pub fn snapshot(&self) -> Vec<OpStat> {
        OpId::ALL
            .iter()
            .zip(self.counters.iter())
            .map(|(op, c)| OpStat {
                op: *op,
                calls: c.calls.load(Ordering::Relaxed),
                errors: c.errors.load(Ordering::Relaxed),
                total: Duration::from_nanos(c.nanos.load(Ordering::Relaxed)),
            })
            .filter(|s| s.calls > 0)
            .collect()
    }
}

/// The counters of calls whose parameters name no device.
pub fn unattributed() -> &'static OpStats {
    static STATS: std::sync::LazyLock<OpStats> = std::sync::LazyLock::new(OpStats::default);
    &STATS
}

/// One op call in progress: its span is entered and its clock running.
#[cfg(feature = "trace")]
pub(crate) struct Call<'a> {
    op: OpId,
    device: Option<&'a crate::Device>,
    start: std::time::Instant,
    span: tracing::span::EnteredSpan,
}

#[cfg(feature = "trace")]
impl<'a> Call<'a> {
    /// Starts a call of `op` on `device`.
    #[inline]
    pub(crate) fn start(op: OpId, device: Option<&'a crate::Device>) -> Self {
        let span = tracing::trace_span!(
            "op",
            op = op.name(),
            device = device.map_or("", |d| d.name())
        )
        .entered();
        Call {
            op,
            device,
            start: std::time::Instant::now(),
            span,
        }
    }

    /// Ends the call with `result`: counts it and emits its outcome.
    #[inline]
    pub(crate) fn finish<T>(self, result: &Result<T, crate::Error>) {
        let elapsed = self.start.elapsed();
        let stats: &OpStats = match self.device {
            Some(device) => device.stats(),
            None => unattributed(),
        };
        stats.record(self.op, elapsed, result.is_err());
        match result {
            Ok(_) => tracing::trace!(parent: self.span.id(), "ok"),
            Err(e) => tracing::trace!(parent: self.span.id(), error = %e, "failed"),
        }
        drop(self.span);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_snapshots_only_called_ops() {
        let stats = OpStats::default();
        assert!(stats.snapshot().is_empty());
        stats.record(OpId::PostSend, Duration::from_nanos(100), false);
        stats.record(OpId::PostSend, Duration::from_nanos(300), true);
        stats.record(OpId::PollCq, Duration::from_nanos(5), false);
        let snap = stats.snapshot();
        assert_eq!(snap.len(), 2);
        assert_eq!(
            snap[0],
            OpStat {
                op: OpId::PostSend,
                calls: 2,
                errors: 1,
                total: Duration::from_nanos(400)
            }
        );
        assert_eq!(snap[0].mean(), Duration::from_nanos(200));
        assert_eq!(snap[1].op, OpId::PollCq);
    }

    /// Before the fix the mean was zero past `u32::MAX` calls (a busy poll
    /// loop passes it in minutes).
    #[test]
    fn the_mean_holds_past_u32_max_calls() {
        let stat = OpStat {
            op: OpId::PollCq,
            calls: 5_000_000_000,
            errors: 0,
            total: Duration::from_secs(250),
        };
        assert_eq!(stat.mean(), Duration::from_nanos(50));
        let none = OpStat { calls: 0, ..stat };
        assert_eq!(none.mean(), Duration::ZERO);
    }
}
