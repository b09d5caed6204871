//! Queue pair types, states, attributes and the attribute mask.

use std::sync::Arc;

use bitflags::bitflags;

use super::ah::AhAttr;
use super::mr::AccessFlags;
use super::port::Mtu;
use crate::object::{Cq, Srq};

/// Queue pair transport (`enum ib_qp_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QpType {
    /// Reliable connected.
    Rc,
    /// Unreliable connected.
    Uc,
    /// Unreliable datagram.
    Ud,
    /// XRC initiator.
    XrcIni,
    /// XRC target.
    XrcTgt,
}

/// Queue pair state, as the IBTA state machine defines it (`enum ib_qp_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum QpState {
    /// Just created or reset: nothing can be posted.
    #[default]
    Reset,
    /// Initialised: receives can be posted.
    Init,
    /// Ready to receive.
    Rtr,
    /// Ready to send.
    Rts,
    /// Send queue drained.
    Sqd,
    /// Send queue error.
    Sqe,
    /// Error: outstanding work requests are flushed.
    Err,
}

/// Queue sizes of a queue pair (`struct ib_qp_cap`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct QpCap {
    /// Outstanding send work requests.
    pub max_send_wr: u32,
    /// Outstanding receive work requests.
    pub max_recv_wr: u32,
    /// Scatter/gather entries per send work request.
    pub max_send_sge: u32,
    /// Scatter/gather entries per receive work request.
    pub max_recv_sge: u32,
    /// Bytes of inline data per send work request.
    pub max_inline_data: u32,
}

/// Creation attributes of a queue pair (`struct ib_qp_init_attr`).
#[derive(Clone, Debug)]
pub struct QpInitAttr {
    /// Completion queue of the send queue.
    pub send_cq: Arc<Cq>,
    /// Completion queue of the receive queue.
    pub recv_cq: Arc<Cq>,
    /// Shared receive queue to take receives from, instead of the QP's own.
    pub srq: Option<Arc<Srq>>,
    /// Requested queue sizes.
    pub cap: QpCap,
    /// Transport.
    pub qp_type: QpType,
    /// When `true`, every send work request completes with a completion;
    /// otherwise only those posted with `SendFlags::SIGNALED`.
    pub sq_sig_all: bool,
}

impl QpCap {
    /// `send_wr` and `recv_wr` work requests of one SGE each, no inline data.
    pub const fn single_sge(send_wr: u32, recv_wr: u32) -> QpCap {
        QpCap {
            max_send_wr: send_wr,
            max_recv_wr: recv_wr,
            max_send_sge: 1,
            max_recv_sge: 1,
            max_inline_data: 0,
        }
    }
}

impl QpInitAttr {
    /// A QP of `qp_type` with queues of `cap`, its sends completing on
    /// `send_cq` and its receives on `recv_cq`; no SRQ, and only the
    /// signaled sends complete.
    pub fn new(qp_type: QpType, send_cq: &Arc<Cq>, recv_cq: &Arc<Cq>, cap: QpCap) -> QpInitAttr {
        QpInitAttr {
            send_cq: Arc::clone(send_cq),
            recv_cq: Arc::clone(recv_cq),
            srq: None,
            cap,
            qp_type,
            sq_sig_all: false,
        }
    }
}

/// What the provider reports when it creates a queue pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct QpInfo {
    /// Queue pair number.
    pub qp_num: u32,
    /// Actual queue sizes (at least those requested).
    pub cap: QpCap,
}

bitflags! {
    /// Which fields of [`QpAttr`] a `modify_qp` or `query_qp` concerns
    /// (`enum ib_qp_attr_mask`, same bit values).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct QpAttrMask: u32 {
        /// `qp_state`.
        const STATE = 1 << 0;
        /// `cur_qp_state`.
        const CUR_STATE = 1 << 1;
        /// `en_sqd_async_notify`.
        const EN_SQD_ASYNC_NOTIFY = 1 << 2;
        /// `qp_access_flags`.
        const ACCESS_FLAGS = 1 << 3;
        /// `pkey_index`.
        const PKEY_INDEX = 1 << 4;
        /// `port_num`.
        const PORT = 1 << 5;
        /// `qkey`.
        const QKEY = 1 << 6;
        /// `ah_attr`.
        const AV = 1 << 7;
        /// `path_mtu`.
        const PATH_MTU = 1 << 8;
        /// `timeout`.
        const TIMEOUT = 1 << 9;
        /// `retry_cnt`.
        const RETRY_CNT = 1 << 10;
        /// `rnr_retry`.
        const RNR_RETRY = 1 << 11;
        /// `rq_psn`.
        const RQ_PSN = 1 << 12;
        /// `max_rd_atomic`.
        const MAX_QP_RD_ATOMIC = 1 << 13;
        /// Alternate path.
        const ALT_PATH = 1 << 14;
        /// `min_rnr_timer`.
        const MIN_RNR_TIMER = 1 << 15;
        /// `sq_psn`.
        const SQ_PSN = 1 << 16;
        /// `max_dest_rd_atomic`.
        const MAX_DEST_RD_ATOMIC = 1 << 17;
        /// Path migration state.
        const PATH_MIG_STATE = 1 << 18;
        /// `cap`.
        const CAP = 1 << 19;
        /// `dest_qp_num`.
        const DEST_QPN = 1 << 20;
        /// Rate limit.
        const RATE_LIMIT = 1 << 25;
    }
}

/// Queue pair attributes for `modify_qp` and `query_qp` (`struct ib_qp_attr`).
///
/// Only the fields selected by the accompanying [`QpAttrMask`] are meaningful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct QpAttr {
    /// Target state.
    pub qp_state: QpState,
    /// Assumed current state.
    pub cur_qp_state: QpState,
    /// Path MTU.
    pub path_mtu: Mtu,
    /// Q_Key (UD).
    pub qkey: u32,
    /// Receive PSN.
    pub rq_psn: u32,
    /// Send PSN.
    pub sq_psn: u32,
    /// Remote queue pair number (connected transports).
    pub dest_qp_num: u32,
    /// Remote access the QP allows as responder.
    pub qp_access_flags: AccessFlags,
    /// Queue sizes.
    pub cap: QpCap,
    /// Address vector of the remote port (connected transports).
    pub ah_attr: AhAttr,
    /// P_Key index.
    pub pkey_index: u16,
    /// Enable the SQ drained event.
    pub en_sqd_async_notify: bool,
    /// Outstanding RDMA READ/atomic requests as requester.
    pub max_rd_atomic: u8,
    /// Outstanding RDMA READ/atomic requests as responder.
    pub max_dest_rd_atomic: u8,
    /// Minimum RNR NAK timer.
    pub min_rnr_timer: u8,
    /// Local port.
    pub port_num: u8,
    /// Local ACK timeout (4.096 us * 2^timeout).
    pub timeout: u8,
    /// Transport retries.
    pub retry_cnt: u8,
    /// RNR retries (7 = infinite).
    pub rnr_retry: u8,
}

/// What `query_qp` returns: the current attributes and the creation attributes.
#[derive(Clone, Debug)]
pub struct QpQuery {
    /// Current attributes.
    pub attr: QpAttr,
    /// Creation attributes.
    pub init: QpInitAttr,
}

impl QpAttr {
    /// RESET → INIT of an RC QP on `port_num`, letting peers use `access`.
    pub fn rc_init(port_num: u8, access: AccessFlags) -> (QpAttr, QpAttrMask) {
        let attr = QpAttr {
            qp_state: QpState::Init,
            port_num,
            qp_access_flags: access,
            ..QpAttr::default()
        };
        let mask = QpAttrMask::STATE
            | QpAttrMask::PKEY_INDEX
            | QpAttrMask::PORT
            | QpAttrMask::ACCESS_FLAGS;
        (attr, mask)
    }

    /// INIT → RTR of an RC QP connected to `dest_qp_num` at `mtu`.
    pub fn rc_rtr(dest_qp_num: u32, mtu: Mtu, port_num: u8) -> (QpAttr, QpAttrMask) {
        let attr = QpAttr {
            qp_state: QpState::Rtr,
            path_mtu: mtu,
            dest_qp_num,
            rq_psn: 0,
            max_dest_rd_atomic: 1,
            min_rnr_timer: 12,
            ah_attr: AhAttr {
                port_num,
                ..AhAttr::default()
            },
            ..QpAttr::default()
        };
        let mask = QpAttrMask::STATE
            | QpAttrMask::AV
            | QpAttrMask::PATH_MTU
            | QpAttrMask::DEST_QPN
            | QpAttrMask::RQ_PSN
            | QpAttrMask::MAX_DEST_RD_ATOMIC
            | QpAttrMask::MIN_RNR_TIMER;
        (attr, mask)
    }

    /// RTR → RTS of an RC QP; `rnr_retry` 7 retries forever, as perftest
    /// sets it.
    pub fn rc_rts(rnr_retry: u8) -> (QpAttr, QpAttrMask) {
        let attr = QpAttr {
            qp_state: QpState::Rts,
            timeout: 14,
            retry_cnt: 7,
            rnr_retry,
            sq_psn: 0,
            max_rd_atomic: 1,
            ..QpAttr::default()
        };
        let mask = QpAttrMask::STATE
            | QpAttrMask::TIMEOUT
            | QpAttrMask::RETRY_CNT
            | QpAttrMask::RNR_RETRY
            | QpAttrMask::SQ_PSN
            | QpAttrMask::MAX_QP_RD_ATOMIC;
        (attr, mask)
    }

    /// RESET → INIT of a UD QP on `port_num` with Q_Key `qkey`.
    pub fn ud_init(port_num: u8, qkey: u32) -> (QpAttr, QpAttrMask) {
        let attr = QpAttr {
            qp_state: QpState::Init,
            port_num,
            qkey,
            ..QpAttr::default()
        };
        let mask = QpAttrMask::STATE | QpAttrMask::PKEY_INDEX | QpAttrMask::PORT | QpAttrMask::QKEY;
        (attr, mask)
    }

    /// A transition to `state` with no other attribute (INIT → RTR of a UD
    /// QP, → ERR, → RESET, RTS → SQD, SQD → RTS).
    pub fn to_state(state: QpState) -> (QpAttr, QpAttrMask) {
        let attr = QpAttr {
            qp_state: state,
            ..QpAttr::default()
        };
        (attr, QpAttrMask::STATE)
    }

    /// RTR → RTS of a UD QP.
    pub fn ud_rts() -> (QpAttr, QpAttrMask) {
        let (attr, mask) = QpAttr::to_state(QpState::Rts);
        (attr, mask | QpAttrMask::SQ_PSN)
    }
}
