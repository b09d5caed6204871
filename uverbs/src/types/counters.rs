//! Attaching a counting point to a flow (`struct ibv_counter_attach_attr`).

/// What a counting point counts (`enum ibv_counter_description`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CounterDescription {
    /// Packets.
    Packets,
    /// Bytes.
    Bytes,
}

/// Where a counting point goes in the counters object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CounterAttachAttr {
    /// What it counts.
    pub description: CounterDescription,
    /// Its index in the counters object's values.
    pub index: u32,
}
