//! Opening an XRC domain (`struct ibv_xrcd_init_attr`).

/// The file an XRC domain is shared through, and how to open it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XrcdInitAttr {
    /// The file's descriptor, or `None` for a domain of this process only.
    pub fd: Option<i32>,
    /// `open(2)` flags: `O_CREAT` creates the domain if the file has none.
    pub oflags: i32,
}
