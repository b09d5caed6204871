//! Memory regions, memory windows and fast memory regions.

use bitflags::bitflags;

use crate::buffer::Buffer;
use crate::error::{Error, Result};

bitflags! {
    /// Access rights of a memory region or queue pair (`enum ib_access_flags`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct AccessFlags: u32 {
        /// The local device may write (needed by receives, READ and atomic results).
        const LOCAL_WRITE = 1 << 0;
        /// Remote peers may RDMA WRITE (requires `LOCAL_WRITE`).
        const REMOTE_WRITE = 1 << 1;
        /// Remote peers may RDMA READ.
        const REMOTE_READ = 1 << 2;
        /// Remote peers may perform atomics (requires `LOCAL_WRITE`).
        const REMOTE_ATOMIC = 1 << 3;
        /// Memory windows may be bound.
        const MW_BIND = 1 << 4;
        /// Addresses are offsets from the region's start (zero-based).
        const ZERO_BASED = 1 << 5;
        /// On-demand paging.
        const ON_DEMAND = 1 << 6;
    }
}

impl AccessFlags {
    /// Whether the combination is valid: remote write or atomic access needs
    /// local write access, as `ib_check_mr_access` requires.
    pub const fn is_valid(self) -> bool {
        let needs_local =
            self.intersects(AccessFlags::REMOTE_WRITE.union(AccessFlags::REMOTE_ATOMIC));
        !needs_local || self.contains(AccessFlags::LOCAL_WRITE)
    }

    /// The flags, if [`is_valid`](Self::is_valid).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the rule otherwise.
    pub fn validate(self) -> Result<AccessFlags> {
        if self.is_valid() {
            Ok(self)
        } else {
            Err(Error::InvalidArgument(
                "remote write or atomic access needs local write access",
            ))
        }
    }
}

/// The keys of a memory region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct MrKeys {
    /// Local key, named in local SGEs.
    pub lkey: u32,
    /// Remote key, named by remote peers.
    pub rkey: u32,
}

/// What the provider reports when it allocates a memory window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct MwInfo {
    /// Remote key of the window.
    pub rkey: u32,
}

/// The memory a user registers (`reg_user_mr`'s `start` and `length`): a
/// range of a [`Buffer`].
#[derive(Clone, Debug)]
pub struct UserMemory {
    /// The buffer.
    pub buffer: Buffer,
    /// Offset of the first registered byte.
    pub offset: usize,
    /// Length in bytes.
    pub length: usize,
}

impl UserMemory {
    /// The whole of `buffer`.
    pub fn whole(buffer: &Buffer) -> UserMemory {
        UserMemory {
            buffer: buffer.clone(),
            offset: 0,
            length: buffer.len(),
        }
    }

    /// `length` bytes of `buffer` from `offset`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the range is not inside the buffer.
    pub fn range(buffer: &Buffer, offset: usize, length: usize) -> Result<UserMemory> {
        match offset.checked_add(length) {
            Some(end) if end <= buffer.len() => Ok(UserMemory {
                buffer: buffer.clone(),
                offset,
                length,
            }),
            _ => Err(Error::InvalidArgument("memory range outside its buffer")),
        }
    }

    /// The address of the first registered byte in this process.
    pub fn addr(&self) -> u64 {
        self.buffer.addr() + self.offset as u64
    }
}

bitflags! {
    /// What `rereg_user_mr` changes (`IB_MR_REREG_*`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct ReregFlags: u32 {
        /// The translation (memory range).
        const TRANS = 1 << 0;
        /// The protection domain.
        const PD = 1 << 1;
        /// The access rights.
        const ACCESS = 1 << 2;
    }
}

/// Kind of memory region `alloc_mr` allocates (`enum ib_mr_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum MrType {
    /// Fast registration of page lists.
    #[default]
    MemReg,
    /// Signature (data integrity) region.
    Integrity,
    /// Registration of arbitrary scatter lists.
    SgGaps,
}

/// One entry of a DMA scatter list (`struct scatterlist`, after mapping).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ScatterEntry {
    /// DMA address.
    pub dma_address: u64,
    /// Length in bytes.
    pub length: u32,
}

bitflags! {
    /// What `check_mr_status` reports on (`IB_MR_CHECK_*`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct MrCheckMask: u32 {
        /// Signature (T10-DIF) errors.
        const SIG_STATUS = 1 << 0;
    }
}

/// Status of a memory region (`struct ib_mr_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MrStatus {
    /// Which checks failed.
    pub fail_status: MrCheckMask,
    /// Offset of the first signature error, if any.
    pub sig_err_offset: Option<u64>,
}

/// Type of memory window (`enum ib_mw_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum MwType {
    /// Type 1: bound by a verb, usable by any QP of the PD.
    #[default]
    Type1,
    /// Type 2: bound by a work request to one QP.
    Type2,
}

/// A dma-buf file descriptor to register memory from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DmabufFd(pub i32);

/// What `advise_mr` asks for (`enum ib_uverbs_advise_mr_advice`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MrAdvice {
    /// Prefetch the pages for reading.
    Prefetch,
    /// Prefetch the pages for writing.
    PrefetchWrite,
    /// Prefetch without faulting missing pages in.
    PrefetchNoFault,
}

bitflags! {
    /// Flags of `advise_mr` (`IB_UVERBS_ADVISE_MR_FLAG_*`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct AdviseFlags: u32 {
        /// Complete the advice before returning.
        const FLUSH = 1;
    }
}
