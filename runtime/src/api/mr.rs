//! Memory-region accessors.

use crate::object::Mr;
use crate::verbs::Sge;

impl Mr {
    /// The local key, named in SGEs.
    #[inline]
    pub fn lkey(&self) -> u32 {
        self.data().keys.lkey
    }

    /// The remote key, named by remote peers.
    #[inline]
    pub fn rkey(&self) -> u32 {
        self.data().keys.rkey
    }

    /// The address of the region's first byte in SGEs and remote addresses.
    #[inline]
    pub fn addr(&self) -> u64 {
        self.data().iova
    }

    /// The region's length in bytes (0 for a DMA region).
    pub fn len(&self) -> usize {
        self.data().memory.as_ref().map_or(0, |m| m.length)
    }

    /// An SGE for `length` bytes at `offset` into the region.
    pub fn sge(&self, offset: u64, length: u32) -> Sge {
        Sge::new(self.addr() + offset, length, self.lkey())
    }

    /// Whether the region has no bytes of its own (a DMA region).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
