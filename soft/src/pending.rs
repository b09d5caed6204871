//! Posted sends that wait (for a receive at the peer, or for SQD to end),
//! with the bytes of inline requests copied at post time: the application
//! may reuse an inline request's buffer as soon as `post_send` returns.

use super::keys::Keys;
use super::memory::SgList;
use ibops::buffer::Buffer;
use ibops::verbs::{SendFlags, SendWr};

/// A posted send not executed yet.
#[derive(Debug)]
pub(super) struct Pending {
    /// The request as posted.
    pub(super) wr: SendWr,
    /// An inline request's bytes as they were at post time.
    inline: Option<Buffer>,
}

impl Pending {
    /// `wr`, posted on a QP of protection domain `pd`. An inline request's
    /// gather list is copied now (through `keys`, the post's view of the
    /// key table); one the keys do not resolve keeps its
    /// list and fails with a local protection error when it executes.
    pub(super) fn capture(keys: &Keys<'_>, pd: u32, wr: &SendWr) -> Pending {
        let inline = wr
            .send_flags
            .contains(SendFlags::INLINE)
            .then(|| copy_gathered(keys, pd, wr))
            .flatten();
        Pending {
            wr: wr.clone(),
            inline,
        }
    }

    /// The bytes an inline request captured, as a one-segment list.
    pub(super) fn inline(&self) -> Option<SgList<'_>> {
        self.inline.as_ref().map(SgList::whole)
    }
}

/// A copy of the bytes `wr` gathers, if its SGEs resolve.
fn copy_gathered(keys: &Keys<'_>, pd: u32, wr: &SendWr) -> Option<Buffer> {
    let src = SgList::local(keys, &wr.sg_list, pd, false).ok()?;
    let copy = Buffer::new(src.len).ok()?;
    SgList::whole(&copy).copy_from(&src, 0).ok()?;
    Some(copy)
}
