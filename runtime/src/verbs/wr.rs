//! Work requests: what `post_send` and `post_recv` take.

use std::sync::Arc;

use bitflags::bitflags;

use crate::object::Ah;

/// One scatter/gather entry: `length` bytes at `addr` of the memory region `lkey`
/// (`struct ib_sge`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Sge {
    /// Address in the memory region's address space.
    pub addr: u64,
    /// Length in bytes.
    pub length: u32,
    /// Local key of the memory region.
    pub lkey: u32,
}

/// How many entries a scatter/gather list keeps inline.
const INLINE_SGES: usize = 2;

/// A work request's scatter/gather list: up to two entries kept inline,
/// with no heap allocation (most work requests have one), more on the
/// heap. It reads as a slice of [`Sge`]s, and is made from an array, a
/// vector, one entry or an iterator:
///
/// ```
/// use ibops::verbs::{Sge, Sges};
/// let one: Sges = Sge::new(0x1000, 64, 7).into();
/// let two = Sges::from([Sge::new(0x1000, 8, 7), Sge::new(0x2000, 8, 7)]);
/// let many: Sges = (0..5).map(|i| Sge::new(0x1000 * i, 8, 7)).collect();
/// assert_eq!((one.len(), two.len(), many.len()), (1, 2, 5));
/// assert_eq!(two[1].addr, 0x2000);
/// ```
#[derive(Clone)]
pub struct Sges(Entries);

#[derive(Clone)]
enum Entries {
    Inline { len: u8, sges: [Sge; INLINE_SGES] },
    Heap(Vec<Sge>),
}

impl Sges {
    /// An empty list.
    pub const fn new() -> Sges {
        Sges(Entries::Inline {
            len: 0,
            sges: [Sge::new(0, 0, 0); INLINE_SGES],
        })
    }

    /// Appends `sge`, moving to the heap past the inline room.
    pub fn push(&mut self, sge: Sge) {
        match &mut self.0 {
            Entries::Inline { len, sges } if usize::from(*len) < INLINE_SGES => {
                sges[usize::from(*len)] = sge;
                *len += 1;
            }
            Entries::Inline { len, sges } => {
                let mut heap = sges[..usize::from(*len)].to_vec();
                heap.push(sge);
                self.0 = Entries::Heap(heap);
            }
            Entries::Heap(heap) => heap.push(sge),
        }
    }

    /// The entries.
    pub fn as_slice(&self) -> &[Sge] {
        self
    }
}

impl Default for Sges {
    fn default() -> Sges {
        Sges::new()
    }
}

impl core::ops::Deref for Sges {
    type Target = [Sge];

    // On every message's path in a provider crate: inlined across crates
    // (callgrind counted it a call once the soft device left ibops).
    #[inline]
    fn deref(&self) -> &[Sge] {
        match &self.0 {
            Entries::Inline { len, sges } => &sges[..usize::from(*len)],
            Entries::Heap(heap) => heap,
        }
    }
}

impl core::ops::DerefMut for Sges {
    fn deref_mut(&mut self) -> &mut [Sge] {
        match &mut self.0 {
            Entries::Inline { len, sges } => &mut sges[..usize::from(*len)],
            Entries::Heap(heap) => heap,
        }
    }
}

impl From<Sge> for Sges {
    fn from(sge: Sge) -> Sges {
        [sge].into()
    }
}

impl<const N: usize> From<[Sge; N]> for Sges {
    fn from(sges: [Sge; N]) -> Sges {
        sges.into_iter().collect()
    }
}

impl From<Vec<Sge>> for Sges {
    fn from(sges: Vec<Sge>) -> Sges {
        if sges.len() > INLINE_SGES {
            Sges(Entries::Heap(sges))
        } else {
            sges.into_iter().collect()
        }
    }
}

impl From<&[Sge]> for Sges {
    fn from(sges: &[Sge]) -> Sges {
        sges.iter().copied().collect()
    }
}

impl FromIterator<Sge> for Sges {
    fn from_iter<I: IntoIterator<Item = Sge>>(iter: I) -> Sges {
        let mut sges = Sges::new();
        for sge in iter {
            sges.push(sge);
        }
        sges
    }
}

impl<'a> IntoIterator for &'a Sges {
    type Item = &'a Sge;
    type IntoIter = core::slice::Iter<'a, Sge>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Lists are equal when their entries are.
impl PartialEq for Sges {
    fn eq(&self, other: &Sges) -> bool {
        self[..] == other[..]
    }
}

impl Eq for Sges {}

impl core::fmt::Debug for Sges {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The operation of a send work request and its operation-specific fields
/// (`enum ib_wr_opcode` with the `rdma`, `atomic` and `ud` parts of `struct ib_send_wr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WrOpcode {
    /// SEND.
    Send,
    /// SEND with immediate data.
    SendWithImm {
        /// Immediate data, delivered in the receiver's completion.
        imm_data: u32,
    },
    /// RDMA WRITE to `remote_addr` of the region `rkey`.
    RdmaWrite {
        /// Remote address.
        remote_addr: u64,
        /// Remote key.
        rkey: u32,
    },
    /// RDMA WRITE with immediate data, which consumes a receive at the target.
    RdmaWriteWithImm {
        /// Remote address.
        remote_addr: u64,
        /// Remote key.
        rkey: u32,
        /// Immediate data.
        imm_data: u32,
    },
    /// RDMA READ from `remote_addr` of the region `rkey`.
    RdmaRead {
        /// Remote address.
        remote_addr: u64,
        /// Remote key.
        rkey: u32,
    },
    /// 8-byte atomic compare-and-swap; the original value is written to the local SGE.
    AtomicCmpAndSwp {
        /// Remote address, 8-byte aligned.
        remote_addr: u64,
        /// Remote key.
        rkey: u32,
        /// Value to compare with.
        compare_add: u64,
        /// Value to store when equal.
        swap: u64,
    },
    /// 8-byte atomic fetch-and-add; the original value is written to the local SGE.
    AtomicFetchAndAdd {
        /// Remote address, 8-byte aligned.
        remote_addr: u64,
        /// Remote key.
        rkey: u32,
        /// Value to add.
        compare_add: u64,
    },
    /// A SEND on a UD queue pair to the address handle `ah`.
    UdSend {
        /// Address handle of the destination.
        ah: Arc<Ah>,
        /// Remote queue pair number.
        remote_qpn: u32,
        /// Remote Q_Key.
        remote_qkey: u32,
        /// Immediate data, if any.
        imm_data: Option<u32>,
    },
}

bitflags! {
    /// Flags of a send work request (`enum ib_send_flags`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct SendFlags: u32 {
        /// Wait for earlier RDMA READ/atomic operations to complete first.
        const FENCE = 1 << 0;
        /// Generate a completion (when the QP does not signal all).
        const SIGNALED = 1 << 1;
        /// Set the solicited event bit.
        const SOLICITED = 1 << 2;
        /// Copy the data into the work request at post time.
        const INLINE = 1 << 3;
    }
}

/// A send work request (`struct ib_send_wr`, without the `next` link:
/// lists are slices).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendWr {
    /// Returned in the completion.
    pub wr_id: u64,
    /// Local data: gathered for sends and writes, scattered for reads and atomics.
    pub sg_list: Sges,
    /// The operation.
    pub opcode: WrOpcode,
    /// Flags.
    pub send_flags: SendFlags,
}

/// A receive work request (`struct ib_recv_wr`, without the `next` link).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RecvWr {
    /// Returned in the completion.
    pub wr_id: u64,
    /// Where incoming data is scattered.
    pub sg_list: Sges,
}

impl Sge {
    /// `length` bytes at `addr` of the region `lkey`.
    pub const fn new(addr: u64, length: u32, lkey: u32) -> Sge {
        Sge { addr, length, lkey }
    }
}

impl SendWr {
    /// An unsignaled work request; see [`signaled`](Self::signaled). The
    /// list is anything a [`Sges`] is made from (`[sge]` allocates nothing).
    pub fn new(wr_id: u64, opcode: WrOpcode, sg_list: impl Into<Sges>) -> SendWr {
        SendWr {
            wr_id,
            sg_list: sg_list.into(),
            opcode,
            send_flags: SendFlags::empty(),
        }
    }

    /// The same request, asking for a completion.
    pub fn signaled(mut self) -> SendWr {
        self.send_flags |= SendFlags::SIGNALED;
        self
    }
}

impl RecvWr {
    /// A receive into `sg_list` (anything a [`Sges`] is made from).
    pub fn new(wr_id: u64, sg_list: impl Into<Sges>) -> RecvWr {
        RecvWr {
            wr_id,
            sg_list: sg_list.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sge(i: u64) -> Sge {
        Sge::new(0x1000 * i, 8, 1)
    }

    #[test]
    fn a_list_keeps_two_inline_then_moves_to_the_heap_in_order() {
        let mut list = Sges::new();
        for i in 0..5 {
            list.push(sge(i));
            assert!(matches!(list.0, Entries::Inline { .. }) == (i < 2), "{i}");
        }
        assert_eq!(list.as_slice(), (0..5).map(sge).collect::<Vec<_>>());
        list[4].length = 3;
        assert_eq!(list[4].length, 3, "entries are mutable in place");
    }

    #[test]
    fn lists_from_arrays_vectors_and_slices_are_equal() {
        let from_array = Sges::from([sge(1), sge(2)]);
        let from_vec = Sges::from(vec![sge(1), sge(2)]);
        let from_slice = Sges::from(&[sge(1), sge(2)][..]);
        assert_eq!(from_array, from_vec);
        assert_eq!(from_vec, from_slice);
        assert!(matches!(from_vec.0, Entries::Inline { len: 2, .. }));
        assert!(matches!(Sges::from(vec![sge(1); 3]).0, Entries::Heap(_)));
        assert_ne!(from_array, Sges::from(sge(1)));
        assert_eq!(format!("{:?}", Sges::new()), "[]");
    }
}
