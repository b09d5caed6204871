//! Memory-region accessors.

use crate::error::{Error, Result};
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
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the bytes are not all inside the
    /// region (a DMA region reaches every address: only an overflow of
    /// the address space is refused there).
    pub fn sge(&self, offset: u64, length: u32) -> Result<Sge> {
        let end = offset.checked_add(u64::from(length));
        let addr = self.addr().checked_add(offset);
        let inside = match (self.data().memory.as_ref(), end) {
            (Some(memory), Some(end)) => end <= memory.length as u64,
            (None, Some(end)) => self.addr().checked_add(end).is_some(),
            (_, None) => false,
        };
        match addr {
            Some(addr) if inside => Ok(Sge::new(addr, length, self.lkey())),
            _ => Err(Error::InvalidArgument("SGE outside the memory region")),
        }
    }

    /// Whether the region has no bytes of its own (a DMA region).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
