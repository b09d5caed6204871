//! The `trace` feature: per-device op statistics counted by the generated
//! dispatch, and a tracing span and event per call. Without the feature,
//! nothing is counted (the dispatch is a plain call).
//!
//! `cargo test --workspace` builds `ibops` with the feature (the examples
//! enable it); `cargo test -p ibops --test trace` builds it without.

use ibops::prelude::*;
use ibops_soft::SoftConfig;

/// A small workload: a PD, a CQ, a poll, and an op the soft device lacks.
fn workload(name: &str) -> Device {
    let dev = SoftConfig::new(name).probe().expect("probe");
    let _pd = dev.alloc_pd().expect("pd");
    let cq = dev.create_cq(&CqInitAttr::new(8)).expect("cq");
    let mut wc = [WorkCompletion::default(); 4];
    for _ in 0..3 {
        cq.poll(&mut wc).expect("poll");
    }
    let missing = dev.ops().query_port_speed(&dev, 1);
    assert_eq!(missing, Err(Error::NotSupported(OpId::QueryPortSpeed)));
    dev
}

#[cfg(feature = "trace")]
mod on {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};

    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    use super::*;

    /// Remembers the `op` field of every span and the message of every event.
    #[derive(Default)]
    struct Recorder {
        next: AtomicU64,
        spans: Mutex<Vec<String>>,
        events: Mutex<Vec<String>>,
    }

    struct Field<'a>(&'a str, String);

    impl tracing::field::Visit for Field<'_> {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn core::fmt::Debug) {
            if field.name() == self.0 {
                self.1 = format!("{value:?}").trim_matches('"').to_owned();
            }
        }
    }

    impl Subscriber for &'static Recorder {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &Attributes<'_>) -> Id {
            let mut op = Field("op", String::new());
            span.record(&mut op);
            self.spans.lock().expect("spans").push(op.1);
            Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut message = Field("message", String::new());
            event.record(&mut message);
            self.events.lock().expect("events").push(message.1);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    /// One test, not two: tracing caches whether a call site is wanted the
    /// first time it runs, and a test running in parallel without a
    /// subscriber would make the spans' sites unwanted for this one.
    #[test]
    fn calls_are_counted_per_device_and_traced() {
        counted_per_device();
        traced();
    }

    fn counted_per_device() {
        let dev = workload("soft-trace0");
        let stats = dev.op_stats();
        let of = |op: OpId| stats.iter().find(|s| s.op == op).copied();
        let poll = of(OpId::PollCq).expect("poll_cq counted");
        assert_eq!((poll.calls, poll.errors), (3, 0));
        assert!(poll.total > core::time::Duration::ZERO);
        let speed = of(OpId::QueryPortSpeed).expect("counted even unsupported");
        assert_eq!((speed.calls, speed.errors), (1, 1));
        assert_eq!(of(OpId::AllocPd).map(|s| s.calls), Some(1));
        // Another device's counters are its own.
        let other = SoftConfig::new("soft-trace1").probe().expect("probe");
        assert!(other.op_stats().iter().all(|s| s.op != OpId::PollCq));
        // A call naming no device counts as unattributed.
        let before = ibops::stats::unattributed()
            .snapshot()
            .iter()
            .find(|s| s.op == OpId::MmapFree)
            .map_or(0, |s| s.calls);
        let _ = dev.ops().mmap_free(&MmapEntry::default());
        let after = ibops::stats::unattributed()
            .snapshot()
            .iter()
            .find(|s| s.op == OpId::MmapFree)
            .map_or(0, |s| s.calls);
        assert_eq!(after, before + 1);
    }

    fn traced() {
        static RECORDER: std::sync::LazyLock<Recorder> =
            std::sync::LazyLock::new(Recorder::default);
        let recorder: &'static Recorder = &RECORDER;
        tracing::subscriber::with_default(recorder, || {
            workload("soft-trace2");
        });
        let spans = recorder.spans.lock().expect("spans").clone();
        assert!(
            spans.iter().filter(|s| *s == "poll_cq").count() >= 3,
            "{spans:?}"
        );
        assert!(spans.iter().any(|s| s == "query_port_speed"), "{spans:?}");
        let events = recorder.events.lock().expect("events").clone();
        assert!(events.iter().any(|e| e == "failed"), "{events:?}");
        assert!(events.iter().any(|e| e == "ok"), "{events:?}");
    }
}

#[cfg(not(feature = "trace"))]
#[test]
fn without_the_feature_nothing_is_counted() {
    let dev = workload("soft-notrace0");
    assert!(dev.op_stats().is_empty());
}
