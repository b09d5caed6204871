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
