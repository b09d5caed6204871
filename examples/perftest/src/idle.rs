//! What a polling loop does when it finds nothing. In process the two
//! sides spin (each on its core, as perftest's do); across processes each
//! soft device's link has a receive thread that shares the cores with the
//! pollers, so an idle poller gives way to it (spinning, it would starve
//! the thread that brings its completions: 3.5× the message rate on this
//! 2-core machine).

use std::sync::atomic::{AtomicBool, Ordering};

static GIVE_WAY: AtomicBool = AtomicBool::new(false);

/// From now on, idle pollers give way to other threads.
pub(crate) fn give_way() {
    GIVE_WAY.store(true, Ordering::Relaxed);
}

/// One idle turn of a polling loop.
pub(crate) fn idle() {
    if GIVE_WAY.load(Ordering::Relaxed) {
        std::thread::yield_now();
    } else {
        std::hint::spin_loop();
    }
}
