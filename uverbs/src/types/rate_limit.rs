//! A QP's send rate limit (`struct ibv_qp_rate_limit_attr`).

/// How fast `modify_qp_rate_limit` lets a QP send.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QpRateLimitAttr {
    /// The rate in kbit/s; 0 lifts the limit.
    pub rate_limit_kbps: u32,
    /// The largest burst in bytes.
    pub max_burst_size: u32,
    /// The typical packet size in bytes.
    pub typical_packet_size: u16,
}
