//! A buffer a provider allocates for a protection domain (`struct ibv_buf`).

/// Memory `alloc_buf` returns: placed where the device reaches it best,
/// owned by the buffer and freed by `free_buf`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buf {
    data: Box<[u8]>,
    dmabuf_fd: Option<i32>,
}

impl Buf {
    /// A zeroed buffer of `size` bytes in process memory.
    pub fn zeroed(size: usize) -> Buf {
        Buf {
            data: vec![0; size].into_boxed_slice(),
            dmabuf_fd: None,
        }
    }

    /// The same buffer, exported as the dma-buf `fd` too.
    pub fn with_dmabuf(self, fd: i32) -> Buf {
        Buf {
            dmabuf_fd: Some(fd),
            ..self
        }
    }

    /// Its bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.data
    }

    /// Its bytes, to fill.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// Its size in bytes.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether it has no bytes.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The dma-buf it is exported as, if any.
    pub fn dmabuf_fd(&self) -> Option<i32> {
        self.dmabuf_fd
    }
}
