//! Memory-region keys: the table that turns an lkey or rkey and an address
//! into bytes of a [`Buffer`], with the bounds, PD and access checks a
//! channel adapter makes.
//!
//! A key is `index << 8 | generation`, as a channel adapter's: a freed
//! slot gets a new generation, so a stale key does not reach the region
//! that reuses its slot, until the 8-bit generation wraps (256
//! registrations later the same key comes back, as on hardware). What the
//! device itself keeps of a key (a posted receive's resolved scatter list)
//! names the slot's *incarnation* instead: a 64-bit count of the slot's
//! registrations that never repeats, so a kept reference reaches the
//! region it was resolved against or nothing, however often the key wraps.

use core::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};

use super::sync::Padded;

use ibops::buffer::Buffer;
use ibops::error::{Error, Result};
use ibops::verbs::{AccessFlags, UserMemory, WcStatus};

/// What the soft device knows about one memory region.
#[derive(Debug)]
pub(super) struct SoftMr {
    /// The protection domain's id.
    pub(super) pd: u32,
    /// The registered memory; `None` for a DMA region, which reaches every
    /// registered region of its PD.
    pub(super) memory: Option<UserMemory>,
    /// The address of the first byte.
    pub(super) iova: u64,
    pub(super) access: AccessFlags,
}

/// A resolved piece of a memory region: `len` bytes of `buffer` from `offset`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Segment<'a> {
    pub(super) buffer: &'a Buffer,
    pub(super) offset: usize,
    pub(super) len: usize,
}

/// An SGE resolved against the key table once, when its receive was
/// posted: the region it names and where its bytes lie in the region's
/// buffer, or why it names none. At use, [`Keys::segment`] checks again
/// that both keys are still live (a deregistered region's slot has a new
/// incarnation) and that the region belongs to the receiving QP's PD.
#[derive(Clone, Copy, Debug)]
pub(super) enum Resolved {
    /// The bytes are `len` at `offset` of the buffer of the region
    /// registered as `region`, reached through the key registered as `key`
    /// (the same registration, but for a DMA region).
    Region {
        key: Registration,
        region: Registration,
        offset: usize,
        len: usize,
        pd: u32,
    },
    /// The SGE names no memory the device may write: the receive fails
    /// with this status when a message arrives.
    Invalid(WcStatus),
}

/// One registration of a key: the key, and the incarnation of its slot
/// at the time (never the same for two registrations of one slot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Registration {
    key: u32,
    incarnation: u64,
}

/// The largest slot index: a key keeps 24 bits for it above the 8-bit
/// generation.
const MAX_INDEX: usize = 0x00ff_ffff;

/// How many copies of the table readers spread over.
const SHARDS: usize = 8;

/// The key table, read on every post by every thread and changed only by
/// registration: a big-reader lock, as the kernel had. Each shard holds a
/// copy of the slots under a lock of its own, on cache lines of its own; a
/// reader locks its thread's shard only, so posters on different cores
/// write no line in common, and a writer changes every copy, holding the
/// free list that orders writers and then each shard in turn (a lookup
/// that starts after a registration or deregistration returns sees it).
#[derive(Debug)]
pub(super) struct KeyTable {
    free: Mutex<Vec<usize>>,
    shards: [Padded<RwLock<Slots>>; SHARDS],
}

/// One copy of the slots, by key index.
#[derive(Debug, Default)]
struct Slots {
    entries: Vec<Slot>,
}

/// One key index: how many times it was freed (its incarnation, whose low
/// eight bits are the key's generation) and the region it holds.
#[derive(Debug, Default)]
struct Slot {
    incarnation: u64,
    mr: Option<Arc<SoftMr>>,
}

impl Default for KeyTable {
    fn default() -> KeyTable {
        KeyTable {
            free: Mutex::default(),
            shards: core::array::from_fn(|_| Padded(RwLock::default())),
        }
    }
}

impl KeyTable {
    /// Inserts `mr` under a fresh key, its lkey and rkey.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] when every one of the 2^24 key indexes is
    /// in use (a key would otherwise wrap onto a live region's).
    pub(super) fn insert(&self, mr: SoftMr) -> Result<u32> {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        let index = match free.pop() {
            Some(index) => index,
            None => {
                let used = self.shard(0).entries.len();
                if used > MAX_INDEX {
                    return Err(Error::LimitExceeded {
                        what: "memory keys",
                        requested: used as u64 + 1,
                        limit: MAX_INDEX as u64 + 1,
                    });
                }
                used
            }
        };
        let mr = Arc::new(mr);
        let mut key = 0;
        self.change_every_copy(|slots| {
            if slots.entries.len() <= index {
                slots.entries.resize_with(index + 1, Slot::default);
            }
            slots.entries[index].mr = Some(Arc::clone(&mr));
            key = slots.key_of(index);
        });
        Ok(key)
    }

    /// Removes the region with `key`; a later lookup of it fails.
    pub(super) fn remove(&self, key: u32) {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        if self.shard(0).live(key).is_none() {
            return;
        }
        let index = (key >> 8) as usize;
        self.change_every_copy(|slots| {
            let slot = &mut slots.entries[index];
            slot.mr = None;
            slot.incarnation += 1;
        });
        free.push(index);
    }

    /// Applies `change` to every shard's copy, one shard at a time (the
    /// caller holds the free list: no other writer runs meanwhile).
    fn change_every_copy(&self, mut change: impl FnMut(&mut Slots)) {
        for shard in &self.shards {
            change(&mut shard.write().unwrap_or_else(PoisonError::into_inner));
        }
    }

    /// Shard `index`'s copy, read-locked.
    fn shard(&self, index: usize) -> RwLockReadGuard<'_, Slots> {
        self.shards[index]
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A read view for the lookups of one post: the calling thread's shard.
    pub(super) fn read(&self) -> Keys<'_> {
        Keys {
            slots: self.shard(reader_shard()),
        }
    }
}

/// The shard the calling thread reads: dealt out to threads in turn, at
/// their first lookup.
fn reader_shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.with(|shard| *shard)
}

impl Slots {
    /// The key of the region in slot `index`.
    fn key_of(&self, index: usize) -> u32 {
        ((index as u32) << 8) | (self.entries[index].incarnation & 0xff) as u32
    }

    /// The region `key` names now, if it is live.
    #[inline]
    fn live(&self, key: u32) -> Option<&SoftMr> {
        let slot = self.entries.get((key >> 8) as usize)?;
        if slot.incarnation & 0xff != u64::from(key & 0xff) {
            return None;
        }
        slot.mr.as_deref()
    }

    /// The registration of live key `key`.
    fn registration(&self, key: u32) -> Option<Registration> {
        let slot = self.entries.get((key >> 8) as usize)?;
        Some(Registration {
            key,
            incarnation: slot.incarnation,
        })
    }

    /// The region of `registration`, if it is still registered: a key
    /// that wrapped onto a later registration of the slot names nothing.
    #[inline]
    fn still(&self, registration: Registration) -> Option<&SoftMr> {
        let slot = self.entries.get((registration.key >> 8) as usize)?;
        if slot.incarnation != registration.incarnation {
            return None;
        }
        slot.mr.as_deref()
    }
}

/// Lookups under one read lock of the key table.
pub(super) struct Keys<'a> {
    slots: RwLockReadGuard<'a, Slots>,
}

impl Keys<'_> {
    /// The local bytes an SGE names, for a QP of protection domain `pd`;
    /// `write` when the device writes them (receives, READ and atomic
    /// results). Any failure is a local protection error.
    #[inline]
    pub(super) fn local(
        &self,
        lkey: u32,
        addr: u64,
        len: usize,
        pd: u32,
        write: bool,
    ) -> Result<Segment<'_>, WcStatus> {
        let need = if write {
            AccessFlags::LOCAL_WRITE
        } else {
            AccessFlags::empty()
        };
        self.resolve(lkey, addr, len, pd, need)
            .ok_or(WcStatus::LocProtErr)
    }

    /// The remote bytes an RDMA or atomic operation names, for a responder
    /// QP of protection domain `pd`, needing `need` access. Any failure is a
    /// remote access error.
    pub(super) fn remote(
        &self,
        rkey: u32,
        addr: u64,
        len: usize,
        pd: u32,
        need: AccessFlags,
    ) -> Result<Segment<'_>, WcStatus> {
        self.resolve(rkey, addr, len, pd, need)
            .ok_or(WcStatus::RemAccessErr)
    }

    #[inline]
    fn resolve(
        &self,
        key: u32,
        addr: u64,
        len: usize,
        pd: u32,
        need: AccessFlags,
    ) -> Option<Segment<'_>> {
        let mr = self.slots.live(key)?;
        if mr.pd != pd {
            return None;
        }
        self.region(key, mr, addr, len, need)
            .map(|(_, segment)| segment)
    }

    /// The region `key` (live as `mr`) reaches at `addr` with `need` rights,
    /// and its bytes there: the region itself, or for a DMA region the
    /// registered region of its PD that holds the bytes.
    #[inline]
    fn region<'s>(
        &'s self,
        key: u32,
        mr: &'s SoftMr,
        addr: u64,
        len: usize,
        need: AccessFlags,
    ) -> Option<(u32, Segment<'s>)> {
        if !mr.access.contains(need) {
            return None;
        }
        match &mr.memory {
            Some(memory) => within(memory, mr.iova, addr, len).map(|s| (key, s)),
            None => self.through_dma_region(mr.pd, addr, len),
        }
    }

    /// What a DMA region of protection domain `pd` reaches at `addr`: every
    /// registered region of its PD, by the regions' own addresses (a
    /// search, off the common path).
    #[cold]
    fn through_dma_region(&self, pd: u32, addr: u64, len: usize) -> Option<(u32, Segment<'_>)> {
        self.slots
            .entries
            .iter()
            .enumerate()
            .find_map(|(index, other)| {
                let other = other.mr.as_deref()?;
                let memory = other.memory.as_ref().filter(|_| other.pd == pd)?;
                let segment = within(memory, other.iova, addr, len)?;
                Some((self.slots.key_of(index), segment))
            })
    }

    /// Resolves a receive's SGE, which the device will write, once: the
    /// key, its rights and bounds now; its PD and liveness at use.
    pub(super) fn resolve_receive(&self, lkey: u32, addr: u64, len: usize) -> Resolved {
        let invalid = Resolved::Invalid(WcStatus::LocProtErr);
        let Some(mr) = self.slots.live(lkey) else {
            return invalid;
        };
        let Some((region, segment)) = self.region(lkey, mr, addr, len, AccessFlags::LOCAL_WRITE)
        else {
            return invalid;
        };
        match (
            self.slots.registration(lkey),
            self.slots.registration(region),
        ) {
            (Some(key), Some(region)) => Resolved::Region {
                key,
                region,
                offset: segment.offset,
                len: segment.len,
                pd: mr.pd,
            },
            _ => invalid,
        }
    }

    /// The bytes a resolved receive SGE names, for a QP of protection
    /// domain `pd`, if the registrations it was resolved against are still
    /// there (not merely their keys: a key that wrapped onto a later
    /// registration does not count). Any failure is a local protection
    /// error.
    #[inline]
    pub(super) fn segment(&self, resolved: &Resolved, pd: u32) -> Result<Segment<'_>, WcStatus> {
        let (key, region, offset, len, region_pd) = match *resolved {
            Resolved::Region {
                key,
                region,
                offset,
                len,
                pd,
            } => (key, region, offset, len, pd),
            Resolved::Invalid(status) => return Err(status),
        };
        // The key is the region's own unless it is a DMA region's.
        let live = key == region || self.slots.still(key).is_some();
        let memory = self.slots.still(region).and_then(|mr| mr.memory.as_ref());
        match memory {
            Some(memory) if live && region_pd == pd => Ok(Segment {
                buffer: &memory.buffer,
                offset,
                len,
            }),
            _ => Err(WcStatus::LocProtErr),
        }
    }
}

/// `len` bytes at `addr` of `memory` registered at `iova`, if inside it.
#[inline]
fn within(memory: &UserMemory, iova: u64, addr: u64, len: usize) -> Option<Segment<'_>> {
    let start = addr.checked_sub(iova)?;
    let end = start.checked_add(len as u64)?;
    if end > memory.length as u64 {
        return None;
    }
    Some(Segment {
        buffer: &memory.buffer,
        offset: memory.offset + usize::try_from(start).ok()?,
        len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(buffer: &Buffer, access: AccessFlags) -> SoftMr {
        let memory = UserMemory::whole(buffer);
        SoftMr {
            pd: 1,
            iova: memory.addr(),
            memory: Some(memory),
            access,
        }
    }

    /// Registers all of `buffer` with local write access in PD 1.
    fn writable(table: &KeyTable, buffer: &Buffer) -> u32 {
        table
            .insert(region(buffer, AccessFlags::LOCAL_WRITE))
            .expect("key")
    }

    #[test]
    fn bounds_pd_access_and_stale_keys() {
        let table = KeyTable::default();
        let buffer = Buffer::new(64).expect("buffer");
        let key = writable(&table, &buffer);
        let base = buffer.addr();
        {
            let keys = table.read();
            let seg = keys.local(key, base + 8, 8, 1, true).expect("inside");
            assert_eq!((seg.offset, seg.len), (8, 8));
            assert_eq!(
                keys.local(key, base + 60, 8, 1, false).err(),
                Some(WcStatus::LocProtErr)
            );
            assert_eq!(
                keys.local(key, base - 1, 1, 1, false).err(),
                Some(WcStatus::LocProtErr)
            );
            assert_eq!(
                keys.local(key, base, 8, 2, false).err(),
                Some(WcStatus::LocProtErr)
            );
            assert_eq!(
                keys.remote(key, base, 8, 1, AccessFlags::REMOTE_READ).err(),
                Some(WcStatus::RemAccessErr)
            );
        }
        table.remove(key);
        let again = writable(&table, &buffer);
        assert_ne!(again, key, "a reused slot gets a new key");
        assert!(table.read().local(key, base, 8, 1, false).is_err());
        assert!(table.read().local(again, base, 8, 1, false).is_ok());
    }

    #[test]
    fn every_shard_sees_a_registration_and_a_deregistration() {
        let table = KeyTable::default();
        let buffer = Buffer::new(8).expect("buffer");
        let first = writable(&table, &buffer);
        let second = writable(&table, &buffer);
        table.remove(first);
        for shard in 0..SHARDS {
            let slots = table.shard(shard);
            assert!(slots.live(first).is_none(), "shard {shard}");
            assert!(slots.live(second).is_some(), "shard {shard}");
        }
        // The freed index is reused, under a new generation, in every copy.
        let third = writable(&table, &buffer);
        assert_eq!(third >> 8, first >> 8);
        assert_ne!(third, first);
        let seen_by_another_thread = std::thread::scope(|s| {
            s.spawn(|| table.read().local(third, buffer.addr(), 8, 1, true).is_ok())
                .join()
                .expect("reader")
        });
        assert!(seen_by_another_thread);
        for shard in 0..SHARDS {
            assert!(table.shard(shard).live(third).is_some(), "shard {shard}");
        }
    }

    /// Before incarnations, a receive resolved against a region reached
    /// the region that got its key 256 registrations later.
    #[test]
    fn a_resolved_receive_names_its_registration_not_its_key() {
        let table = KeyTable::default();
        let buffer = Buffer::new(64).expect("buffer");
        let key = writable(&table, &buffer);
        let resolved = table.read().resolve_receive(key, buffer.addr(), 64);
        assert!(table.read().segment(&resolved, 1).is_ok());
        table.remove(key);
        let mut again = writable(&table, &buffer);
        while again != key {
            table.remove(again);
            again = writable(&table, &buffer);
        }
        assert!(table.read().local(again, buffer.addr(), 8, 1, true).is_ok());
        assert_eq!(
            table.read().segment(&resolved, 1).err(),
            Some(WcStatus::LocProtErr),
            "the same key, another registration"
        );
    }
}
