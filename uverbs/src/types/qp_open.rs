//! Opening another process's XRC target QP (`struct ibv_qp_open_attr`).

use ibops::prelude::{QpType, Xrcd};

/// Which QP `open_qp` opens.
#[derive(Debug)]
pub struct QpOpenAttr {
    /// Its number.
    pub qp_num: u32,
    /// The XRC domain it lives in.
    pub xrcd: Xrcd,
    /// Its transport.
    pub qp_type: QpType,
}
