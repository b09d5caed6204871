//! Registrable memory: the bytes a memory region covers, shared between the
//! application and the device.
//!
//! A [`Buffer`] is what `ibv_reg_mr` takes a pointer to, made safe: the
//! application reads and writes it through methods (or a locked view), the
//! device copies into and out of it the way DMA would, and a lock per buffer
//! keeps the two from racing. Two buffers are always locked in the same
//! order (by address), so copies in opposite directions cannot deadlock.
//!
//! Each buffer has an address of its own in a device-visible address space:
//! page aligned, never shared with another live buffer, and independent of
//! where the allocator put the bytes (so alignment rules such as the 8-byte
//! alignment of atomics depend only on offsets the application chooses).

use core::fmt;
use core::ops::Range;
use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::{Error, Result};

/// A shared, fixed-size, zero-initialised byte buffer. Cloning is an `Arc`
/// clone: both handles name the same memory.
#[derive(Clone)]
pub struct Buffer {
    inner: Arc<BufferInner>,
}

struct BufferInner {
    /// The allocation; the buffer is `len` bytes of it from `start`.
    bytes: RwLock<Box<[u8]>>,
    /// Where the 64-byte-aligned bytes begin in the allocation.
    start: usize,
    /// The device-visible address of the first byte.
    addr: u64,
    len: usize,
}

impl Buffer {
    /// A buffer of `len` zero bytes.
    ///
    /// # Errors
    /// [`Error::NoMemory`] when the bytes cannot be allocated or the
    /// device-visible address space has no room for them.
    pub fn new(len: usize) -> Result<Buffer> {
        Buffer::aligned(len, |_| {})
    }

    /// A buffer of `len` bytes, cache-line aligned in memory, that `fill`
    /// initialises (they start zeroed).
    fn aligned(len: usize, fill: impl FnOnce(&mut [u8])) -> Result<Buffer> {
        let total = len
            .checked_add(ALIGN - 1)
            .ok_or(Error::NoMemory("buffer length"))?;
        let mut storage = Vec::new();
        storage
            .try_reserve_exact(total)
            .map_err(|_| Error::NoMemory("buffer bytes"))?;
        storage.resize(total, 0u8);
        let mut storage = storage.into_boxed_slice();
        let start = (ALIGN - storage.as_ptr() as usize % ALIGN) % ALIGN;
        fill(&mut storage[start..start + len]);
        Ok(Buffer {
            inner: Arc::new(BufferInner {
                bytes: RwLock::new(storage),
                start,
                addr: allocate_addr(len)?,
                len,
            }),
        })
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.inner.len
    }

    /// Whether it has no bytes.
    pub fn is_empty(&self) -> bool {
        self.inner.len == 0
    }

    /// The device-visible address of its first byte: what `ibv_reg_mr`
    /// would register and SGEs name. Page aligned.
    pub fn addr(&self) -> u64 {
        self.inner.addr
    }

    /// Whether two handles name the same memory.
    pub fn same(&self, other: &Buffer) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Copies `out.len()` bytes starting at `offset` into `out`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the range is out of bounds.
    pub fn read(&self, offset: usize, out: &mut [u8]) -> Result<()> {
        let range = self.range(offset, out.len())?;
        out.copy_from_slice(&self.lock_read()[range]);
        Ok(())
    }

    /// Copies `data` into the buffer starting at `offset`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the range is out of bounds.
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<()> {
        Dma::default().write(self, offset, data)
    }

    /// A copy of every byte.
    pub fn to_vec(&self) -> Vec<u8> {
        self.with(<[u8]>::to_vec)
    }

    /// Runs `f` on the bytes, with device writes held off meanwhile.
    pub fn with<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(&self.lock_read()[self.whole()])
    }

    /// Runs `f` on the bytes mutably, with device access held off meanwhile.
    pub fn with_mut<R>(&self, f: impl FnOnce(&mut [u8]) -> R) -> R {
        let whole = self.whole();
        f(&mut self.lock_write()[whole])
    }

    /// Copies `len` bytes from `src` at `src_offset` to `dst` at
    /// `dst_offset`: the device's DMA. The two may be the same buffer, and
    /// the ranges may overlap.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when a range is out of bounds.
    pub fn copy(
        src: &Buffer,
        src_offset: usize,
        dst: &Buffer,
        dst_offset: usize,
        len: usize,
    ) -> Result<()> {
        // A burst of one copy: both locked in address order, then released.
        Dma::default().copy(src, src_offset, dst, dst_offset, len)
    }

    /// Replaces the native-endian `u64` at `offset` with `f(old)` under the
    /// write lock, so no other access sees half of it, and returns `old`:
    /// the device's atomic operations.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the eight bytes are out of bounds.
    pub fn update_u64(&self, offset: usize, f: impl FnOnce(u64) -> u64) -> Result<u64> {
        Dma::default().update_u64(self, offset, f)
    }

    /// The allocation indexes of `len` bytes from `offset`.
    #[inline]
    fn range(&self, offset: usize, len: usize) -> Result<Range<usize>> {
        match offset.checked_add(len) {
            Some(end) if end <= self.inner.len => {
                Ok(self.inner.start + offset..self.inner.start + end)
            }
            _ => Err(Error::InvalidArgument("buffer range out of bounds")),
        }
    }

    /// The allocation indexes of every byte.
    fn whole(&self) -> Range<usize> {
        self.inner.start..self.inner.start + self.inner.len
    }

    // A panic while a lock was held cannot leave bytes in an invalid state
    // (every byte value is valid), so poisoning is ignored.
    fn lock_read(&self) -> RwLockReadGuard<'_, Box<[u8]>> {
        self.inner
            .bytes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_write(&self) -> RwLockWriteGuard<'_, Box<[u8]>> {
        self.inner
            .bytes
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The device's access to buffers over a burst of work: it keeps the last
/// buffers it copied between locked until the next copy needs others (or
/// [`release`](Self::release)), as a DMA engine works through a post list,
/// so a post list that moves data between the same two buffers locks them
/// once, not once per message. Buffers are locked together, in address
/// order, and only after the ones held are released: a burst never waits
/// for a buffer while it holds one. The caller releases the burst before
/// it takes any other lock.
#[derive(Default)]
pub struct Dma<'a> {
    held: Held<'a>,
}

/// What a burst holds locked.
#[derive(Default)]
enum Held<'a> {
    #[default]
    Nothing,
    /// A source read and a destination written.
    Pair {
        src: &'a Buffer,
        dst: &'a Buffer,
        from: RwLockReadGuard<'a, Box<[u8]>>,
        to: RwLockWriteGuard<'a, Box<[u8]>>,
    },
    /// One buffer, written (a copy within it, a write or an atomic).
    One {
        buffer: &'a Buffer,
        bytes: RwLockWriteGuard<'a, Box<[u8]>>,
    },
}

impl<'a> Dma<'a> {
    /// Unlocks what the burst holds.
    #[inline]
    pub fn release(&mut self) {
        if !matches!(self.held, Held::Nothing) {
            self.held = Held::Nothing;
        }
    }

    /// [`Buffer::copy`], keeping the two buffers locked.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when a range is out of bounds.
    #[inline(always)]
    pub fn copy(
        &mut self,
        src: &'a Buffer,
        src_offset: usize,
        dst: &'a Buffer,
        dst_offset: usize,
        len: usize,
    ) -> Result<()> {
        let from = src.range(src_offset, len)?;
        let to = dst.range(dst_offset, len)?;
        // The pair the burst holds already: the common case in a post list.
        if let Held::Pair {
            src: s,
            dst: d,
            from: src_bytes,
            to: dst_bytes,
        } = &mut self.held
            && s.same(src)
            && d.same(dst)
        {
            copy_bytes(&src_bytes[from], &mut dst_bytes[to]);
            return Ok(());
        }
        self.copy_locking(src, from, dst, to);
        Ok(())
    }

    /// A copy between ranges checked already, when the burst does not hold
    /// the two buffers yet: locks them first.
    #[inline(never)]
    fn copy_locking(
        &mut self,
        src: &'a Buffer,
        from: Range<usize>,
        dst: &'a Buffer,
        to: Range<usize>,
    ) {
        if src.same(dst) {
            self.writable(dst).copy_within(from, to.start);
            return;
        }
        let (src_bytes, dst_bytes) = self.pair(src, dst);
        copy_bytes(&src_bytes[from], &mut dst_bytes[to]);
    }

    /// [`Buffer::write`], keeping the buffer locked.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the range is out of bounds.
    pub fn write(&mut self, dst: &'a Buffer, offset: usize, data: &[u8]) -> Result<()> {
        let range = dst.range(offset, data.len())?;
        self.writable(dst)[range].copy_from_slice(data);
        Ok(())
    }

    /// [`Buffer::update_u64`], keeping the buffer locked.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the eight bytes are out of bounds.
    pub fn update_u64(
        &mut self,
        buffer: &'a Buffer,
        offset: usize,
        f: impl FnOnce(u64) -> u64,
    ) -> Result<u64> {
        let range = buffer.range(offset, 8)?;
        let bytes = self.writable(buffer);
        let mut old = [0u8; 8];
        old.copy_from_slice(&bytes[range.clone()]);
        let old = u64::from_ne_bytes(old);
        bytes[range].copy_from_slice(&f(old).to_ne_bytes());
        Ok(old)
    }

    /// `buffer`'s bytes, locked for writing: held already (alone, or as the
    /// destination of the pair), or locked after releasing the rest.
    fn writable(&mut self, buffer: &'a Buffer) -> &mut [u8] {
        let reuse = match &self.held {
            Held::One { buffer: b, .. } | Held::Pair { dst: b, .. } => b.same(buffer),
            Held::Nothing => false,
        };
        if !reuse {
            self.held = Held::Nothing;
            self.held = Held::One {
                buffer,
                bytes: buffer.lock_write(),
            };
        }
        match &mut self.held {
            Held::One { bytes, .. } => bytes,
            Held::Pair { to, .. } => to,
            // Set just above.
            Held::Nothing => &mut [],
        }
    }

    /// `src`'s bytes read and `dst`'s written (two buffers), locked in
    /// address order after releasing what is held ([`copy`](Self::copy)
    /// reuses a pair held already before it comes here).
    fn pair(&mut self, src: &'a Buffer, dst: &'a Buffer) -> (&[u8], &mut [u8]) {
        self.held = Held::Nothing;
        let (from, to) = if src.inner.addr < dst.inner.addr {
            let from = src.lock_read();
            (from, dst.lock_write())
        } else {
            let to = dst.lock_write();
            (src.lock_read(), to)
        };
        self.held = Held::Pair { src, dst, from, to };
        match &mut self.held {
            Held::Pair { from, to, .. } => (from, to),
            // Set just above.
            _ => (&[], &mut []),
        }
    }
}

/// Copies `src` into `dst` (of the same length). A message of a word or
/// less, the common small RDMA message, is moved in registers rather than
/// through a call to `memcpy`.
#[inline(always)]
fn copy_bytes(src: &[u8], dst: &mut [u8]) {
    match (
        <&[u8; 8]>::try_from(src),
        <&mut [u8; 8]>::try_from(&mut *dst),
    ) {
        (Ok(s), Ok(d)) => *d = *s,
        _ if src.len() < 8 => {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = *s;
            }
        }
        _ => dst.copy_from_slice(src),
    }
}

/// The size of the pages buffer addresses are aligned to.
const PAGE: u64 = 4096;

/// The next free device-visible address; a guard page separates buffers.
static NEXT_ADDR: AtomicU64 = AtomicU64::new(0x1000_0000);

/// A page-aligned range of `len` bytes no other buffer has.
///
/// # Errors
/// [`Error::NoMemory`] when the 64-bit device address space is used up.
fn allocate_addr(len: usize) -> Result<u64> {
    let exhausted = Error::NoMemory("device address space");
    let span = (len as u64)
        .div_ceil(PAGE)
        .max(1)
        .checked_mul(PAGE)
        .and_then(|bytes| bytes.checked_add(PAGE))
        .ok_or(Error::NoMemory("device address space"))?;
    NEXT_ADDR
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |next| {
            next.checked_add(span)
        })
        .map_err(|_| exhausted)
}

/// The alignment of a buffer's first byte in memory: a cache line, which
/// is what `memcpy` needs to run at full speed (a 16-byte misalignment
/// between source and destination makes `rep movsb` many times slower on
/// some CPUs).
const ALIGN: usize = 64;

/// Copies `bytes` into an allocation in which they start cache-line aligned.
impl TryFrom<Vec<u8>> for Buffer {
    type Error = Error;

    fn try_from(bytes: Vec<u8>) -> Result<Buffer> {
        Buffer::aligned(bytes.len(), |b| b.copy_from_slice(&bytes))
    }
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Buffer({} bytes at {:#x})",
            self.inner.len, self.inner.addr
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Buffer::new(usize::MAX - 10)` used to panic (capacity overflow).
    #[test]
    fn an_impossible_length_is_an_error() {
        for len in [usize::MAX, usize::MAX - 10, usize::MAX / 2] {
            assert!(matches!(Buffer::new(len), Err(Error::NoMemory(_))), "{len}");
        }
    }

    #[test]
    fn read_write_and_bounds() {
        let b = Buffer::new(8).expect("buffer");
        b.write(2, &[1, 2, 3]).expect("in bounds");
        let mut out = [0u8; 4];
        b.read(1, &mut out).expect("in bounds");
        assert_eq!(out, [0, 1, 2, 3]);
        assert!(b.write(6, &[0; 3]).is_err());
        assert!(b.read(usize::MAX, &mut out).is_err());
        assert_eq!(b.to_vec(), [0, 0, 1, 2, 3, 0, 0, 0]);
    }

    #[test]
    fn copies_of_every_size_class_move_exactly_their_bytes() {
        for len in [1, 7, 8, 9, 64] {
            let a = Buffer::try_from((1..=70u8).collect::<Vec<_>>()).expect("buffer");
            let b = Buffer::new(70).expect("buffer");
            Buffer::copy(&a, 3, &b, 5, len).expect("copy");
            let got = b.to_vec();
            assert_eq!(
                &got[5..5 + len],
                &(4..4 + len as u8).collect::<Vec<_>>()[..]
            );
            assert!(
                got[..5].iter().chain(&got[5 + len..]).all(|&x| x == 0),
                "{len}"
            );
        }
    }

    #[test]
    fn copy_between_and_within_buffers() {
        let a = Buffer::try_from(vec![1, 2, 3, 4]).expect("buffer");
        let b = Buffer::new(4).expect("buffer");
        Buffer::copy(&a, 1, &b, 0, 3).expect("copy");
        assert_eq!(b.to_vec(), [2, 3, 4, 0]);
        Buffer::copy(&a, 0, &a, 1, 3).expect("overlapping copy");
        assert_eq!(a.to_vec(), [1, 1, 2, 3]);
        assert!(Buffer::copy(&a, 2, &b, 0, 3).is_err());
    }

    #[test]
    fn bytes_start_cache_line_aligned_in_memory() {
        for len in [0, 1, 100, 4096] {
            let b = Buffer::new(len).expect("buffer");
            let start = b.with(|bytes| bytes.as_ptr() as usize);
            assert_eq!(start % ALIGN, 0, "{len}");
            assert_eq!(b.with(<[u8]>::len), len);
        }
    }

    #[test]
    fn addresses_are_page_aligned_and_disjoint() {
        let a = Buffer::new(5000).expect("buffer");
        let b = Buffer::new(1).expect("buffer");
        assert_eq!(a.addr() % PAGE, 0);
        assert_eq!(b.addr() % PAGE, 0);
        assert!(b.addr() >= a.addr() + 5000 || a.addr() > b.addr());
    }

    #[test]
    fn update_u64_returns_the_old_value() {
        let b = Buffer::new(16).expect("buffer");
        b.write(8, &5u64.to_ne_bytes()).expect("write");
        assert_eq!(b.update_u64(8, |v| v + 2), Ok(5));
        assert_eq!(b.update_u64(8, |v| v), Ok(7));
        assert!(b.update_u64(9, |v| v).is_err());
    }

    #[test]
    fn a_burst_copies_writes_and_updates_like_single_accesses() {
        let a = Buffer::try_from(vec![1, 2, 3, 4, 5, 6, 7, 8]).expect("buffer");
        let b = Buffer::new(16).expect("buffer");
        let mut dma = Dma::default();
        dma.copy(&a, 0, &b, 4, 4).expect("pair");
        dma.copy(&a, 4, &b, 8, 4).expect("the same pair, held");
        dma.write(&b, 0, &[9, 9])
            .expect("the pair's destination, held");
        dma.copy(&b, 4, &b, 12, 2).expect("within one buffer");
        let before = u64::from_ne_bytes([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(dma.update_u64(&a, 0, |v| v + 1), Ok(before));
        assert!(dma.copy(&a, 6, &b, 0, 4).is_err(), "out of bounds");
        dma.release();
        assert_eq!(b.to_vec(), [9, 9, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 0, 0]);
        let mut first = [0u8; 8];
        a.read(0, &mut first).expect("read after release");
        assert_eq!(u64::from_ne_bytes(first), before + 1);
    }

    #[test]
    fn opposite_copies_on_two_threads_do_not_deadlock() {
        let a = Buffer::new(1024).expect("buffer");
        let b = Buffer::new(1024).expect("buffer");
        let (a2, b2) = (a.clone(), b.clone());
        let t = std::thread::spawn(move || {
            for _ in 0..200 {
                Buffer::copy(&a2, 0, &b2, 0, 1024).expect("copy");
            }
        });
        for _ in 0..200 {
            Buffer::copy(&b, 0, &a, 0, 1024).expect("copy");
        }
        t.join().expect("no panic");
    }
}
