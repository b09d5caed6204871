//! Work completions, with the libibverbs status set.

use bitflags::bitflags;

/// Completion status (`enum ibv_wc_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum WcStatus {
    /// The work request completed successfully.
    #[default]
    Success,
    /// Local length error: a message exceeds the receive buffer or the port's limit.
    LocLenErr,
    /// Local QP operation error.
    LocQpOpErr,
    /// Local EE context operation error.
    LocEecOpErr,
    /// Local protection error: an SGE does not fall in a valid local memory region.
    LocProtErr,
    /// Work request flushed because the QP is in the error state.
    WrFlushErr,
    /// Memory window bind error.
    MwBindErr,
    /// Bad response from the responder.
    BadRespErr,
    /// Local access error (on the responder for RDMA WRITE with immediate).
    LocAccessErr,
    /// Remote invalid request: the responder refused the operation.
    RemInvReqErr,
    /// Remote access error: bad rkey, missing rights, or out of bounds.
    RemAccessErr,
    /// Remote operation error.
    RemOpErr,
    /// Transport retry counter exceeded.
    RetryExcErr,
    /// RNR retry counter exceeded: no receive was posted at the responder.
    RnrRetryExcErr,
    /// Local RDD violation.
    LocRddViolErr,
    /// Remote invalid RD request.
    RemInvRdReqErr,
    /// Remote aborted.
    RemAbortErr,
    /// Invalid EE context number.
    InvEecnErr,
    /// Invalid EE context state.
    InvEecStateErr,
    /// Fatal error.
    FatalErr,
    /// Response timeout.
    RespTimeoutErr,
    /// General error.
    GeneralErr,
}

impl WcStatus {
    /// Every status, in declaration order: `ALL[s as usize] == s` (what a
    /// completion stored as a byte decodes with).
    pub const ALL: [WcStatus; 22] = [
        WcStatus::Success,
        WcStatus::LocLenErr,
        WcStatus::LocQpOpErr,
        WcStatus::LocEecOpErr,
        WcStatus::LocProtErr,
        WcStatus::WrFlushErr,
        WcStatus::MwBindErr,
        WcStatus::BadRespErr,
        WcStatus::LocAccessErr,
        WcStatus::RemInvReqErr,
        WcStatus::RemAccessErr,
        WcStatus::RemOpErr,
        WcStatus::RetryExcErr,
        WcStatus::RnrRetryExcErr,
        WcStatus::LocRddViolErr,
        WcStatus::RemInvRdReqErr,
        WcStatus::RemAbortErr,
        WcStatus::InvEecnErr,
        WcStatus::InvEecStateErr,
        WcStatus::FatalErr,
        WcStatus::RespTimeoutErr,
        WcStatus::GeneralErr,
    ];

    /// The libibverbs name (`ibv_wc_status_str`).
    pub const fn as_str(self) -> &'static str {
        match self {
            WcStatus::Success => "success",
            WcStatus::LocLenErr => "local length error",
            WcStatus::LocQpOpErr => "local QP operation error",
            WcStatus::LocEecOpErr => "local EE context operation error",
            WcStatus::LocProtErr => "local protection error",
            WcStatus::WrFlushErr => "Work Request Flushed Error",
            WcStatus::MwBindErr => "memory management operation error",
            WcStatus::BadRespErr => "bad response error",
            WcStatus::LocAccessErr => "local access error",
            WcStatus::RemInvReqErr => "remote invalid request error",
            WcStatus::RemAccessErr => "remote access error",
            WcStatus::RemOpErr => "remote operation error",
            WcStatus::RetryExcErr => "transport retry counter exceeded",
            WcStatus::RnrRetryExcErr => "RNR retry counter exceeded",
            WcStatus::LocRddViolErr => "local RDD violation error",
            WcStatus::RemInvRdReqErr => "remote invalid RD request",
            WcStatus::RemAbortErr => "aborted error",
            WcStatus::InvEecnErr => "invalid EE context number",
            WcStatus::InvEecStateErr => "invalid EE context state",
            WcStatus::FatalErr => "fatal error",
            WcStatus::RespTimeoutErr => "response timeout error",
            WcStatus::GeneralErr => "general error",
        }
    }
}

/// The operation a completion reports (`enum ibv_wc_opcode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum WcOpcode {
    /// SEND (with or without immediate).
    #[default]
    Send,
    /// RDMA WRITE (with or without immediate).
    RdmaWrite,
    /// RDMA READ.
    RdmaRead,
    /// Atomic compare-and-swap.
    CompSwap,
    /// Atomic fetch-and-add.
    FetchAdd,
    /// Memory window bind.
    BindMw,
    /// A receive consumed by a SEND.
    Recv,
    /// A receive consumed by an RDMA WRITE with immediate.
    RecvRdmaWithImm,
}

impl WcOpcode {
    /// Every opcode, in declaration order: `ALL[o as usize] == o`.
    pub const ALL: [WcOpcode; 8] = [
        WcOpcode::Send,
        WcOpcode::RdmaWrite,
        WcOpcode::RdmaRead,
        WcOpcode::CompSwap,
        WcOpcode::FetchAdd,
        WcOpcode::BindMw,
        WcOpcode::Recv,
        WcOpcode::RecvRdmaWithImm,
    ];
}

bitflags! {
    /// Completion flags (`enum ibv_wc_flags`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct WcFlags: u32 {
        /// A GRH is present in the first 40 bytes of the receive buffer.
        const GRH = 1 << 0;
        /// `imm_data` is valid.
        const WITH_IMM = 1 << 1;
    }
}

/// One work completion (`struct ib_wc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct WorkCompletion {
    /// The `wr_id` of the completed work request.
    pub wr_id: u64,
    /// Outcome.
    pub status: WcStatus,
    /// Operation (meaningful when `status` is `Success`).
    pub opcode: WcOpcode,
    /// Vendor error code.
    pub vendor_err: u32,
    /// Bytes received (receive completions).
    pub byte_len: u32,
    /// Immediate data, when `wc_flags` has `WITH_IMM`.
    pub imm_data: u32,
    /// Local queue pair number.
    pub qp_num: u32,
    /// Source queue pair number (UD receives).
    pub src_qp: u32,
    /// Flags.
    pub wc_flags: WcFlags,
    /// P_Key index (GSI).
    pub pkey_index: u16,
    /// Source LID.
    pub slid: u16,
    /// Service level.
    pub sl: u8,
    /// Destination path bits.
    pub dlid_path_bits: u8,
    /// Port the completion arrived on.
    pub port_num: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_list_every_variant_at_its_discriminant() {
        for (i, status) in WcStatus::ALL.iter().enumerate() {
            assert_eq!(*status as usize, i, "{status:?}");
        }
        for (i, opcode) in WcOpcode::ALL.iter().enumerate() {
            assert_eq!(*opcode as usize, i, "{opcode:?}");
        }
        assert_eq!(WcStatus::ALL.last(), Some(&WcStatus::GeneralErr));
        assert_eq!(WcOpcode::ALL.last(), Some(&WcOpcode::RecvRdmaWithImm));
    }
}
