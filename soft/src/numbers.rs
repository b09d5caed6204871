//! Number spaces: QP numbers and PD ids, each unique among the live
//! objects that carry one. A counter walks the space and wraps; a number
//! still in use is skipped, the reserved ones are never handed out, and a
//! full space refuses with [`Error::LimitExceeded`] instead of reusing a
//! live number.

use ibops::error::{Error, Result};

/// The numbers `first..=last` handed out in turn, skipping the live ones.
#[derive(Debug)]
pub(super) struct NumberSpace {
    what: &'static str,
    first: u32,
    last: u32,
    next: u32,
}

impl NumberSpace {
    /// A space of `first..=last` for objects described by `what` (the
    /// limit an exhausted space names); `first` is handed out first.
    pub(super) const fn new(what: &'static str, first: u32, last: u32) -> NumberSpace {
        NumberSpace {
            what,
            first,
            last,
            next: first,
        }
    }

    /// How many numbers the space has.
    fn size(&self) -> u64 {
        u64::from(self.last - self.first) + 1
    }

    /// The next number after the last one handed out that `live` does not
    /// hold; `count` is how many numbers are live.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] when every number is live.
    pub(super) fn take(&mut self, count: usize, live: impl Fn(u32) -> bool) -> Result<u32> {
        let size = self.size();
        if count as u64 >= size {
            return Err(Error::LimitExceeded {
                what: self.what,
                requested: count as u64 + 1,
                limit: size,
            });
        }
        // Fewer live numbers than the space holds: a free one is at most
        // `count` steps away.
        loop {
            let candidate = self.next;
            self.next = if candidate == self.last {
                self.first
            } else {
                candidate + 1
            };
            if !live(candidate) {
                return Ok(candidate);
            }
        }
    }

    /// Moves the counter to `next` (tests reach the wrap without walking
    /// the whole space).
    #[cfg(test)]
    pub(super) fn skip_to(&mut self, next: u32) {
        self.next = next.clamp(self.first, self.last);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::NumberSpace;
    use ibops::error::Error;

    #[test]
    fn wraps_past_the_end_skipping_reserved_and_live_numbers() {
        let mut space = NumberSpace::new("max_qp", 2, 0x00ff_ffff);
        let live: HashSet<u32> = [2, 3, 5].into();
        space.skip_to(0x00ff_fffe);
        let taken: Vec<u32> = (0..4)
            .map(|_| space.take(live.len(), |n| live.contains(&n)).expect("free"))
            .collect();
        assert_eq!(taken, [0x00ff_fffe, 0x00ff_ffff, 4, 6]);
    }

    #[test]
    fn a_full_space_refuses_instead_of_reusing() {
        let mut space = NumberSpace::new("max_pd", 1, 4);
        let mut live = HashSet::new();
        for _ in 0..4 {
            let n = space.take(live.len(), |n| live.contains(&n)).expect("free");
            assert!(live.insert(n), "{n} handed out twice");
        }
        let err = space.take(live.len(), |n| live.contains(&n));
        assert!(
            matches!(
                err,
                Err(Error::LimitExceeded {
                    what: "max_pd",
                    limit: 4,
                    ..
                })
            ),
            "{err:?}"
        );
        live.remove(&2);
        assert_eq!(space.take(live.len(), |n| live.contains(&n)).ok(), Some(2));
    }
}
