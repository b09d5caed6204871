//! Memory as the device reaches it: scatter/gather lists resolved to
//! segments of registered buffers, and the copies between them.

use super::keys::{Keys, Segment};
use ibops::buffer::{Buffer, Dma};
use ibops::error::{Error, Result};
use ibops::verbs::{Sge, WcStatus};

/// The segments of one work request's SGEs. The first is kept inline, the
/// others in a vector, so the common single-SGE request neither allocates
/// nor moves a large array around.
pub(super) struct SgList<'a> {
    first: Option<Segment<'a>>,
    rest: Vec<Segment<'a>>,
    /// Total bytes.
    pub(super) len: usize,
}

impl<'a> SgList<'a> {
    /// One segment.
    pub(super) fn one(segment: Segment<'a>) -> SgList<'a> {
        SgList {
            len: segment.len,
            first: Some(segment),
            rest: Vec::new(),
        }
    }

    /// No segment at all.
    fn one_empty() -> SgList<'a> {
        SgList {
            first: None,
            rest: Vec::new(),
            len: 0,
        }
    }

    /// Resolves every entry (SGEs, or ones resolved earlier), those of
    /// `head` then those of `tail`, with `resolve`; the first failure is
    /// returned.
    #[inline(always)]
    pub(super) fn resolve<T>(
        head: &[T],
        tail: &[T],
        mut resolve: impl FnMut(&T) -> Result<Segment<'a>, WcStatus>,
    ) -> Result<SgList<'a>, WcStatus> {
        match (head, tail) {
            // One entry, the common case: no loop, no vector.
            ([one], []) => return resolve(one).map(SgList::one),
            ([], []) => return Ok(SgList::one_empty()),
            _ => {}
        }
        let mut sges = head.iter().chain(tail);
        let first = sges.next().map(&mut resolve).transpose()?;
        let mut list = SgList {
            len: first.map_or(0, |s| s.len),
            first,
            rest: Vec::new(),
        };
        for sge in sges {
            let segment = resolve(sge)?;
            list.len += segment.len;
            list.rest.push(segment);
        }
        Ok(list)
    }

    /// The local bytes `sges` name for a QP of protection domain `pd`,
    /// through `keys`; `write` when the device writes them (READ and atomic
    /// results). Any failure is a local protection error.
    #[inline]
    pub(super) fn local(
        keys: &'a Keys<'_>,
        sges: &[Sge],
        pd: u32,
        write: bool,
    ) -> Result<SgList<'a>, WcStatus> {
        SgList::resolve(sges, &[], |s| {
            keys.local(s.lkey, s.addr, s.length as usize, pd, write)
        })
    }

    /// All of `buffer`, as one segment.
    pub(super) fn whole(buffer: &'a Buffer) -> SgList<'a> {
        SgList::one(Segment {
            buffer,
            offset: 0,
            len: buffer.len(),
        })
    }

    /// The first segment, if any.
    pub(super) fn first(&self) -> Option<&Segment<'a>> {
        self.first.as_ref()
    }

    fn segments(&self) -> impl Iterator<Item = &Segment<'a>> {
        self.first.iter().chain(&self.rest)
    }

    /// Copies all of `src` into `self`, starting `skip` bytes into `self`,
    /// each buffer locked for its copy.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `src` does not fit or a range is
    /// outside its buffer: the copy must then not complete as a success.
    pub(super) fn copy_from(&self, src: &SgList<'_>, skip: usize) -> Result<()> {
        self.copy_with(src, skip, Buffer::copy)
    }

    /// As [`copy_from`](Self::copy_from) in a burst: the buffers stay
    /// locked in `dma` for the next copy.
    ///
    /// # Errors
    /// As [`copy_from`](Self::copy_from).
    #[inline(always)]
    pub(super) fn burst_from(
        &self,
        src: &SgList<'a>,
        skip: usize,
        dma: &mut Dma<'a>,
    ) -> Result<()> {
        self.copy_with(src, skip, |s, so, d, dof, n| dma.copy(s, so, d, dof, n))
    }

    /// Copies all of `src` into `self` from `skip` on, segment by segment,
    /// with `copy(src, src_offset, dst, dst_offset, len)`.
    #[inline(always)]
    fn copy_with<'s>(
        &self,
        src: &SgList<'s>,
        skip: usize,
        mut copy: impl FnMut(&'s Buffer, usize, &'a Buffer, usize, usize) -> Result<()>,
    ) -> Result<()> {
        if let (Some(s), Some(d), true) = (
            src.first,
            self.first,
            src.rest.is_empty() && self.rest.is_empty(),
        ) {
            // One segment each, the common case: one copy.
            if skip + s.len > d.len {
                return Err(too_short());
            }
            return copy(s.buffer, s.offset, d.buffer, d.offset + skip, s.len);
        }
        let mut dst = self.segments().copied();
        let mut current = dst.next();
        let mut dst_pos = skip;
        for s in src.segments() {
            let mut done = 0;
            while done < s.len {
                let Some(d) = current else {
                    return Err(too_short());
                };
                if dst_pos >= d.len {
                    dst_pos -= d.len;
                    current = dst.next();
                    continue;
                }
                let n = (s.len - done).min(d.len - dst_pos);
                copy(s.buffer, s.offset + done, d.buffer, d.offset + dst_pos, n)?;
                done += n;
                dst_pos += n;
            }
        }
        Ok(())
    }

    /// Writes `bytes` at the start of the list, in the burst `dma`.
    ///
    /// # Errors
    /// As [`copy_from`](Self::copy_from).
    pub(super) fn write_prefix(&self, bytes: &[u8], dma: &mut Dma<'a>) -> Result<()> {
        let mut rest = bytes;
        for d in self.segments() {
            if rest.is_empty() {
                break;
            }
            let n = rest.len().min(d.len);
            dma.write(d.buffer, d.offset, &rest[..n])?;
            rest = &rest[n..];
        }
        if rest.is_empty() {
            Ok(())
        } else {
            Err(too_short())
        }
    }
}

/// The error of a copy whose destination list is shorter than its source.
fn too_short() -> Error {
    Error::InvalidArgument("the scatter list is shorter than the message")
}

impl SgList<'_> {
    /// Writes `bytes` into the list from `skip` on, each buffer locked for
    /// its part (bytes that arrived on the link: a READ's response, an
    /// atomic's original value).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when they do not fit.
    pub(super) fn write_at(&self, skip: usize, bytes: &[u8]) -> Result<()> {
        if skip + bytes.len() > self.len {
            return Err(too_short());
        }
        let (mut skip, mut rest) = (skip, bytes);
        for segment in self.segments() {
            if rest.is_empty() {
                break;
            }
            if skip >= segment.len {
                skip -= segment.len;
                continue;
            }
            let n = (segment.len - skip).min(rest.len());
            segment.buffer.write(segment.offset + skip, &rest[..n])?;
            rest = &rest[n..];
            skip = 0;
        }
        Ok(())
    }
}

/// Where a request's bytes come from: registered memory the post list
/// reaches through its keys (copied in the pass's burst), or the bytes an
/// inline request captured at post time.
pub(super) enum Source<'a, 'p> {
    /// Registered memory.
    Registered(&'p SgList<'a>),
    /// Captured bytes.
    Captured(&'p SgList<'p>),
}

impl<'a> Source<'a, '_> {
    /// Its bytes, read into one vector (a message leaving the device on its
    /// link). Call it with no burst holding its buffers.
    ///
    /// # Errors
    /// A segment outside its buffer.
    pub(super) fn gather(&self) -> Result<Vec<u8>> {
        let (Source::Registered(list) | Source::Captured(list)) = self;
        let mut out = vec![0u8; list.len];
        let mut at = 0;
        for segment in list.first.iter().chain(&list.rest) {
            segment
                .buffer
                .read(segment.offset, &mut out[at..at + segment.len])?;
            at += segment.len;
        }
        Ok(out)
    }

    /// Its length in bytes.
    pub(super) fn len(&self) -> usize {
        match self {
            Source::Registered(list) => list.len,
            Source::Captured(list) => list.len,
        }
    }

    /// Copies it into `dst` from `skip` on: in the burst `dma` when it is
    /// registered memory, on its own (the burst released) when captured.
    ///
    /// # Errors
    /// As [`SgList::copy_from`].
    #[inline(always)]
    pub(super) fn land(&self, dst: &SgList<'a>, skip: usize, dma: &mut Dma<'a>) -> Result<()> {
        match self {
            Source::Registered(src) => dst.burst_from(src, skip, dma),
            Source::Captured(src) => {
                dma.release();
                dst.copy_from(src, skip)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ibops::verbs::Sge;

    fn seg(buffer: &Buffer, offset: usize, len: usize) -> Segment<'_> {
        Segment {
            buffer,
            offset,
            len,
        }
    }

    #[test]
    fn scatter_gather_across_uneven_segments() {
        let a = Buffer::try_from((0u8..10).collect::<Vec<_>>()).expect("buffer");
        let b = Buffer::new(12).expect("buffer");
        let sges = [Sge::default(); 3];
        let src = SgList::resolve(&sges[..1], &sges[1..2], |_| Ok(seg(&a, 0, 5))).expect("src");
        assert_eq!(src.len, 10);
        let mut parts = [seg(&b, 0, 3), seg(&b, 4, 4), seg(&b, 8, 4)].into_iter();
        let dst =
            SgList::resolve(&sges, &[], |_| parts.next().ok_or(WcStatus::LocProtErr)).expect("dst");
        dst.copy_from(&src, 1).expect("fits");
        // dst bytes: [skip, 0, 1] [gap] [2, 3, 4, 0] [1, 2, 3, 4]
        assert_eq!(b.to_vec(), [0, 0, 1, 0, 2, 3, 4, 0, 1, 2, 3, 4]);
        // One byte more than the list holds is an error, not a silent cut.
        assert!(dst.copy_from(&src, 2).is_err());
    }
}
