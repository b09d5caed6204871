//! The QP state machine: which transitions `modify_qp` may make and which
//! attributes each requires and allows, per QP type, as the IBTA spec and
//! the kernel's `ib_modify_qp_is_ok` define them (RC and UD, the types the
//! soft device implements).

use ibops::error::{Error, Result};
use ibops::verbs::{QpAttrMask as M, QpState as S, QpType};

/// The attributes a transition requires and allows, for RC and for UD.
struct Rule {
    rc_required: M,
    rc_optional: M,
    ud_required: M,
    ud_optional: M,
}

const fn rule(rc_required: M, rc_optional: M, ud_required: M, ud_optional: M) -> Option<Rule> {
    Some(Rule {
        rc_required,
        rc_optional,
        ud_required,
        ud_optional,
    })
}

const NONE: M = M::empty();

/// The rule for `cur` → `next`, or `None` when the transition is invalid.
fn rule_for(cur: S, next: S) -> Option<Rule> {
    // Any state may go to RESET or ERR with no attributes.
    if matches!(next, S::Reset | S::Err) {
        return rule(NONE, NONE, NONE, NONE);
    }
    let alt_rc = M::ALT_PATH.union(M::ACCESS_FLAGS).union(M::PATH_MIG_STATE);
    match (cur, next) {
        (S::Reset, S::Init) => rule(
            M::PKEY_INDEX.union(M::PORT).union(M::ACCESS_FLAGS),
            NONE,
            M::PKEY_INDEX.union(M::PORT).union(M::QKEY),
            NONE,
        ),
        (S::Init, S::Init) => rule(
            NONE,
            M::PKEY_INDEX.union(M::PORT).union(M::ACCESS_FLAGS),
            NONE,
            M::PKEY_INDEX.union(M::PORT).union(M::QKEY),
        ),
        (S::Init, S::Rtr) => rule(
            M::AV
                .union(M::PATH_MTU)
                .union(M::DEST_QPN)
                .union(M::RQ_PSN)
                .union(M::MAX_DEST_RD_ATOMIC)
                .union(M::MIN_RNR_TIMER),
            M::ALT_PATH.union(M::ACCESS_FLAGS).union(M::PKEY_INDEX),
            NONE,
            M::PKEY_INDEX.union(M::QKEY),
        ),
        (S::Rtr, S::Rts) => rule(
            M::TIMEOUT
                .union(M::RETRY_CNT)
                .union(M::RNR_RETRY)
                .union(M::SQ_PSN)
                .union(M::MAX_QP_RD_ATOMIC),
            M::CUR_STATE.union(alt_rc).union(M::MIN_RNR_TIMER),
            M::SQ_PSN,
            M::CUR_STATE.union(M::QKEY),
        ),
        (S::Rts, S::Rts) | (S::Sqd, S::Rts) => rule(
            NONE,
            M::CUR_STATE.union(alt_rc).union(M::MIN_RNR_TIMER),
            NONE,
            M::CUR_STATE.union(M::QKEY),
        ),
        (S::Rts, S::Sqd) => rule(NONE, M::EN_SQD_ASYNC_NOTIFY, NONE, M::EN_SQD_ASYNC_NOTIFY),
        (S::Sqd, S::Sqd) => rule(
            NONE,
            M::AV
                .union(M::TIMEOUT)
                .union(M::RETRY_CNT)
                .union(M::RNR_RETRY)
                .union(M::MAX_QP_RD_ATOMIC)
                .union(M::MAX_DEST_RD_ATOMIC)
                .union(alt_rc)
                .union(M::PKEY_INDEX)
                .union(M::MIN_RNR_TIMER),
            NONE,
            M::PKEY_INDEX.union(M::QKEY),
        ),
        // SQE exists for unreliable transports only.
        (S::Sqe, S::Rts) => rule(NONE, NONE, NONE, M::CUR_STATE.union(M::QKEY)),
        _ => None,
    }
}

/// Checks that a QP of `qp_type` in `cur` may make the change `mask`
/// describes, moving to `next` (the target state when `mask` has `STATE`,
/// `cur` otherwise).
///
/// # Errors
/// [`Error::InvalidArgument`] for an invalid transition, a missing required
/// attribute or an attribute the transition does not take.
pub(super) fn check(qp_type: QpType, cur: S, next: S, mask: M) -> Result<()> {
    if cur == S::Sqe && qp_type == QpType::Rc {
        return Err(Error::InvalidState("an RC queue pair is never in SQE"));
    }
    let rule = rule_for(cur, next).ok_or(Error::InvalidArgument("invalid QP state transition"))?;
    let (required, optional) = match qp_type {
        QpType::Ud => (rule.ud_required, rule.ud_optional),
        _ => (rule.rc_required, rule.rc_optional),
    };
    let given = mask.difference(M::STATE);
    if !given.contains(required) {
        return Err(Error::InvalidArgument(
            "a required attribute of this transition is missing from the mask",
        ));
    }
    if !required.union(optional).contains(given) {
        return Err(Error::InvalidArgument(
            "the mask has an attribute this transition does not take",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RC_INIT: M = M::PKEY_INDEX.union(M::PORT).union(M::ACCESS_FLAGS);

    #[test]
    fn rc_path_to_rts() {
        assert!(check(QpType::Rc, S::Reset, S::Init, RC_INIT.union(M::STATE)).is_ok());
        let rtr = M::AV
            .union(M::PATH_MTU)
            .union(M::DEST_QPN)
            .union(M::RQ_PSN)
            .union(M::MAX_DEST_RD_ATOMIC)
            .union(M::MIN_RNR_TIMER);
        assert!(check(QpType::Rc, S::Init, S::Rtr, rtr.union(M::STATE)).is_ok());
        assert!(check(QpType::Rc, S::Init, S::Rtr, rtr.difference(M::DEST_QPN)).is_err());
    }

    #[test]
    fn invalid_transitions_and_extra_attributes_fail() {
        assert!(check(QpType::Rc, S::Reset, S::Rts, M::STATE).is_err());
        assert!(check(QpType::Rc, S::Init, S::Rts, M::STATE).is_err());
        assert!(check(QpType::Ud, S::Reset, S::Init, RC_INIT.union(M::STATE)).is_err());
        assert!(check(QpType::Rc, S::Reset, S::Init, RC_INIT.union(M::QKEY)).is_err());
        assert!(check(QpType::Rc, S::Sqe, S::Rts, M::STATE).is_err());
    }

    #[test]
    fn any_state_to_reset_or_error() {
        for cur in [S::Reset, S::Init, S::Rtr, S::Rts, S::Sqd, S::Err] {
            assert!(check(QpType::Rc, cur, S::Err, M::STATE).is_ok());
            assert!(check(QpType::Rc, cur, S::Reset, M::STATE).is_ok());
        }
        assert!(check(QpType::Ud, S::Sqe, S::Rts, M::STATE).is_ok());
    }
}
