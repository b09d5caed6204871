//! Binding a memory window (`struct ibv_mw_bind`).

use ibops::prelude::{AccessFlags, Mr, SendFlags};

/// A bind work request: which region, which bytes of it, which rights.
#[derive(Debug)]
pub struct MwBind {
    /// The work request's id, in its completion.
    pub wr_id: u64,
    /// Its send flags (signaled or not).
    pub send_flags: SendFlags,
    /// The region the window opens onto.
    pub mr: Mr,
    /// The window's first address.
    pub addr: u64,
    /// Its length.
    pub length: u64,
    /// The rights it grants.
    pub access: AccessFlags,
}
