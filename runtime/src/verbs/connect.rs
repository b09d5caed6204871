//! Connecting an RC QP to a peer in another process or on another host:
//! what the two ends exchange out of band (as `ibv_rc_pingpong` and
//! perftest do over TCP) and how the connection runs.

use super::ah::GlobalRoute;
use super::gid::Gid;
use super::mr::AccessFlags;
use super::port::Mtu;
use super::qp::{QpAttr, QpAttrMask};

/// One end of an RC connection as the other end needs to know it: the
/// fields `ibv_rc_pingpong` writes as `LID:QPN:PSN:GID`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RcEndpoint {
    /// The port's LID (0 on RoCE, which routes by GID).
    pub lid: u16,
    /// The QP number.
    pub qpn: u32,
    /// The first PSN it sends with (24 bits).
    pub psn: u32,
    /// The port GID at the index the connection uses; all zeros for none
    /// (an InfiniBand connection by LID alone).
    pub gid: Gid,
}

/// How an RC connection runs: the attributes INIT→RTR and RTR→RTS set,
/// with the values `ibv_rc_pingpong` uses by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RcPath {
    /// The port.
    pub port_num: u8,
    /// The local GID index (the GRH's source).
    pub sgid_index: u8,
    /// The path MTU.
    pub mtu: Mtu,
    /// What the peer may do to this QP's memory.
    pub access: AccessFlags,
    /// The local ACK timeout code (4.096 µs × 2^timeout; 0 is none).
    pub timeout: u8,
    /// Retries after a timeout before `RETRY_EXC_ERR`.
    pub retry_cnt: u8,
    /// Retries after an RNR NAK before `RNR_RETRY_EXC_ERR` (7: forever).
    pub rnr_retry: u8,
    /// The RNR NAK timer code this QP answers with when it has no receive.
    pub min_rnr_timer: u8,
    /// READs and atomics this QP may have outstanding.
    pub max_rd_atomic: u8,
    /// READs and atomics the peer may have outstanding at this QP.
    pub max_dest_rd_atomic: u8,
}

impl Default for RcPath {
    fn default() -> RcPath {
        RcPath {
            port_num: 1,
            sgid_index: 0,
            mtu: Mtu::Mtu1024,
            access: AccessFlags::LOCAL_WRITE,
            timeout: 14,
            retry_cnt: 7,
            rnr_retry: 7,
            min_rnr_timer: 12,
            max_rd_atomic: 1,
            max_dest_rd_atomic: 1,
        }
    }
}

impl RcPath {
    /// The three transitions that connect a QP whose first PSN is
    /// `local_psn` to `remote`: RESET→INIT, INIT→RTR (with a GRH to
    /// `remote.gid` unless it is all zeros), RTR→RTS.
    pub fn transitions(&self, local_psn: u32, remote: &RcEndpoint) -> [(QpAttr, QpAttrMask); 3] {
        let (init, init_mask) = QpAttr::rc_init(self.port_num, self.access);
        let grh = (remote.gid != Gid::default()).then_some(GlobalRoute {
            dgid: remote.gid,
            sgid_index: self.sgid_index,
            hop_limit: 1,
            ..GlobalRoute::default()
        });
        let (mut rtr, rtr_mask) = QpAttr::rc_rtr(remote.qpn, self.mtu, self.port_num);
        rtr.rq_psn = remote.psn;
        rtr.max_dest_rd_atomic = self.max_dest_rd_atomic;
        rtr.min_rnr_timer = self.min_rnr_timer;
        rtr.ah_attr.dlid = remote.lid;
        rtr.ah_attr.grh = grh;
        let (mut rts, rts_mask) = QpAttr::rc_rts(self.rnr_retry);
        rts.timeout = self.timeout;
        rts.retry_cnt = self.retry_cnt;
        rts.sq_psn = local_psn;
        rts.max_rd_atomic = self.max_rd_atomic;
        [(init, init_mask), (rtr, rtr_mask), (rts, rts_mask)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gid_gives_a_grh_and_psns_go_where_they_belong() {
        let remote = RcEndpoint {
            lid: 0,
            qpn: 0x11,
            psn: 0x123456,
            gid: Gid::new(0, 0xffff_7f00_0001),
        };
        let [_, (rtr, _), (rts, _)] = RcPath::default().transitions(0xabcdef, &remote);
        assert_eq!(rtr.ah_attr.grh.map(|g| g.dgid), Some(remote.gid));
        assert_eq!((rtr.rq_psn, rtr.dest_qp_num), (0x123456, 0x11));
        assert_eq!(rts.sq_psn, 0xabcdef);
        let by_lid = RcEndpoint {
            gid: Gid::default(),
            ..remote
        };
        let [_, (rtr, _), _] = RcPath::default().transitions(0, &by_lid);
        assert!(rtr.ah_attr.grh.is_none());
    }
}
