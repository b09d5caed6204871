//! Counters objects and hardware statistics.

/// Where `read_counters` puts the counter values (`struct ib_counters_read_attr`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CountersReadAttr {
    /// One slot per counter; its length says how many are read.
    pub counters_buff: Vec<u64>,
    /// Flags (`IB_READ_COUNTERS_*`).
    pub flags: u32,
}

/// A set of named hardware counters (`struct rdma_hw_stats`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HwStats {
    /// Counter names.
    pub names: Vec<&'static str>,
    /// Counter values, one per name.
    pub values: Vec<u64>,
    /// How long values stay valid before the core asks again, in ms (`None`: default).
    pub lifespan_ms: Option<u32>,
}

impl HwStats {
    /// Stats with the counters `names`, all zero.
    pub fn new(names: &[&'static str]) -> Self {
        HwStats {
            names: names.to_vec(),
            values: vec![0; names.len()],
            lifespan_ms: None,
        }
    }
}

/// How QPs are bound to a dynamic counter (`enum rdma_nl_counter_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum CounterMode {
    /// Bound one by one through `rdma statistic qp bind`.
    #[default]
    Manual,
    /// Bound automatically by a criterion (QP type, PID).
    Auto,
}

/// What the core records about a dynamic QP counter (`struct rdma_counter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RdmaCounterData {
    /// The counter's id (0 until the driver allocates one).
    pub id: u32,
    /// The port it counts on.
    pub port: u8,
    /// How QPs are bound to it.
    pub mode: CounterMode,
}
