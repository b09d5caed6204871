//! User-space plumbing: driver-private data in and out of verbs calls.

/// Driver-specific data passed in and out of a verbs call by user space
/// (`struct ib_udata`). Kernel consumers pass an empty one.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Udata {
    /// Bytes from user space.
    pub inbuf: Vec<u8>,
    /// Bytes for user space; the provider fills at most `outlen` of them.
    pub outbuf: Vec<u8>,
    /// Room for reply bytes.
    pub outlen: usize,
}

impl Udata {
    /// No driver data either way (a kernel consumer).
    pub fn none() -> Self {
        Self::default()
    }
}

/// Typed attributes of an ioctl-style verbs call (`struct uverbs_attr_bundle`):
/// attribute id and its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AttrBundle {
    /// The attributes, by id.
    pub attrs: Vec<(u16, Vec<u8>)>,
}

impl AttrBundle {
    /// The bytes of attribute `id`, if present.
    pub fn get(&self, id: u16) -> Option<&[u8]> {
        self.attrs
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, v)| v.as_slice())
    }
}

/// A user address range to map device memory into (`struct vm_area_struct`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct VmArea {
    /// Start address.
    pub start: u64,
    /// End address (exclusive).
    pub end: u64,
    /// Page offset that selects what to map.
    pub pgoff: u64,
}

/// An entry of a user context's mmap table (`struct rdma_user_mmap_entry`):
/// pages a driver lets user space map at an offset it chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MmapEntry {
    /// The first page offset user space passes to `mmap()`.
    pub start_pgoff: u64,
    /// How many pages.
    pub npages: usize,
    /// Whether the driver removed it (the mapping then fails).
    pub driver_removed: bool,
}

impl MmapEntry {
    /// The offset in bytes user space passes to `mmap()`, for `page_size`.
    pub fn offset(&self, page_size: u64) -> u64 {
        self.start_pgoff.saturating_mul(page_size)
    }
}

/// A physically contiguous range of an mmap entry (`struct phys_vec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PhysRange {
    /// The physical address.
    pub paddr: u64,
    /// Its length in bytes.
    pub len: u64,
}

/// The PCI peer-to-peer provider of device memory (`struct p2pdma_provider`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct P2pProvider {
    /// The PCI function that owns the memory, e.g. `0000:3b:00.0`.
    pub device: String,
    /// What to add to a physical address to get its bus address.
    pub bus_offset: u64,
}

/// What `mmap_get_pfns` reports of an entry: its physical ranges and, for
/// device memory, the peer-to-peer provider.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MmapPfns {
    /// The ranges, in order.
    pub ranges: Vec<PhysRange>,
    /// The provider, when the pages are device memory.
    pub provider: Option<P2pProvider>,
}

/// An open user-verbs file (`struct ib_uverbs_file`): the context and the
/// objects user space created through it.
#[derive(Debug, Default)]
pub struct UverbsFile {
    /// The context, once user space allocated one.
    pub ucontext: Option<std::sync::Arc<crate::object::Ucontext>>,
    /// How many objects the file still holds.
    pub objects: usize,
}
