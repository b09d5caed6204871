//! Packet sequence numbers: 24 bits that wrap, compared within half their
//! space (IBTA 9.7.1), and what a responder makes of a request's PSN.

/// The PSN space: 24 bits.
pub const PSN_MASK: u32 = 0x00ff_ffff;

/// `psn + n`, wrapped to 24 bits.
pub fn psn_add(psn: u32, n: u32) -> u32 {
    psn.wrapping_add(n) & PSN_MASK
}

/// How `a` compares with `b` in the wrapping space: negative when `a` is
/// before `b`, 0 when equal, positive after (within 2^23 either way).
pub fn psn_cmp(a: u32, b: u32) -> i32 {
    // The 24-bit difference, sign-extended through the top byte.
    (a.wrapping_sub(b) << 8) as i32 >> 8
}

/// What a responder makes of a request packet's PSN against the one it
/// expects next (IBTA 9.7.5.1.1, rxe's `check_psn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PsnCheck {
    /// The expected packet: execute it.
    Expected,
    /// An earlier packet again: answer it again (an ACK, or the READ or
    /// atomic response replayed), do not execute it twice.
    Duplicate,
    /// A later packet: one or more were lost; NAK with a PSN sequence
    /// error, once, and drop until the expected one arrives.
    OutOfSequence,
}

/// Classifies `psn` against `expected`.
pub fn check_psn(expected: u32, psn: u32) -> PsnCheck {
    match psn_cmp(psn, expected) {
        0 => PsnCheck::Expected,
        d if d < 0 => PsnCheck::Duplicate,
        _ => PsnCheck::OutOfSequence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psns_wrap_and_compare_across_the_wrap() {
        assert_eq!(psn_add(PSN_MASK, 1), 0);
        assert_eq!(psn_add(PSN_MASK - 1, 5), 3);
        assert!(psn_cmp(0, PSN_MASK) > 0, "0 comes after 0xffffff");
        assert!(psn_cmp(PSN_MASK, 0) < 0);
        assert_eq!(psn_cmp(5, 5), 0);
        assert_eq!(psn_cmp(10, 3), 7);
        assert_eq!(psn_cmp(3, 10), -7);
    }

    #[test]
    fn a_responder_executes_once_and_names_a_gap() {
        assert_eq!(check_psn(100, 100), PsnCheck::Expected);
        assert_eq!(check_psn(100, 99), PsnCheck::Duplicate);
        assert_eq!(check_psn(100, 101), PsnCheck::OutOfSequence);
        assert_eq!(check_psn(0, PSN_MASK), PsnCheck::Duplicate);
        assert_eq!(check_psn(PSN_MASK, 0), PsnCheck::OutOfSequence);
    }

    // Property tests: thousands of cases, natively only (too slow under
    // Miri, which runs the examples above).
    #[cfg(not(miri))]
    mod properties {
        use super::*;

        proptest::proptest! {
            #[test]
            fn adding_then_comparing_gives_the_distance(psn in 0..=PSN_MASK, n in 0u32..(1 << 23)) {
                proptest::prop_assert_eq!(psn_cmp(psn_add(psn, n), psn), n as i32);
                proptest::prop_assert_eq!(psn_cmp(psn, psn_add(psn, n)), -(n as i32));
            }
        }
    }
}
