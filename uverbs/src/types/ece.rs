//! Enhanced connection establishment (`struct ibv_ece`).

/// The options a QP offers or uses when connecting, by vendor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ece {
    /// The vendor (its IEEE OUI) whose options these are.
    pub vendor_id: u32,
    /// The vendor's option bits.
    pub options: u32,
}
