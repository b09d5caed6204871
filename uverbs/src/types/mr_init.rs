//! Registering memory from any source (`struct ibv_mr_init_attr`).

use ibops::prelude::{AccessFlags, DmabufFd, Dmah};

/// Where a region's memory comes from.
#[derive(Debug)]
pub enum MrSource {
    /// Process memory at an address.
    Address(usize),
    /// A dma-buf, from an offset in it.
    Dmabuf {
        /// The dma-buf.
        fd: DmabufFd,
        /// The offset of the region in it.
        offset: u64,
    },
}

/// How `reg_mr_ex` registers a region.
#[derive(Debug)]
pub struct MrInitAttr {
    /// Where the memory is.
    pub source: MrSource,
    /// How many bytes.
    pub length: usize,
    /// The device address of its first byte, if not its process address.
    pub iova: Option<u64>,
    /// Its access rights.
    pub access: AccessFlags,
    /// The DMA handle steering the device's writes, if any.
    pub dmah: Option<Dmah>,
}
