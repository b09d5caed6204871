//! Device memory.

use super::mr::AccessFlags;

/// Allocation attributes of device memory (`struct ib_dm_alloc_attr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DmAllocAttr {
    /// Bytes.
    pub length: u64,
    /// Alignment, in bytes (a power of two).
    pub alignment: u32,
    /// Flags.
    pub flags: u32,
}

/// A range of device memory to register (`struct ib_dm_mr_attr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DmMrAttr {
    /// Bytes.
    pub length: u64,
    /// Offset in the device memory.
    pub offset: u64,
    /// Access rights.
    pub access_flags: AccessFlags,
}

/// What a DMA handle asks of the device's DMA (`struct ib_dmah`): TLP
/// processing hints that steer memory writes toward a CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DmahAttr {
    /// The CPU whose cache the writes should land near.
    pub cpu_id: Option<u32>,
    /// The TPH memory type (volatile or persistent).
    pub mem_type: Option<u8>,
    /// The processing hint.
    pub ph: Option<u8>,
}
