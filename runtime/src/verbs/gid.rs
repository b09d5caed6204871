//! Global identifiers and GID table entries.

use core::fmt;

/// A 128-bit global identifier (`union ib_gid`): subnet prefix and interface id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Gid(pub [u8; 16]);

impl Gid {
    /// The GID of `subnet_prefix` and `interface_id`.
    pub const fn new(subnet_prefix: u64, interface_id: u64) -> Gid {
        let p = subnet_prefix.to_be_bytes();
        let i = interface_id.to_be_bytes();
        Gid([
            p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], i[0], i[1], i[2], i[3], i[4], i[5],
            i[6], i[7],
        ])
    }

    /// The upper 64 bits.
    pub fn subnet_prefix(&self) -> u64 {
        u64::from_be_bytes([
            self.0[0], self.0[1], self.0[2], self.0[3], self.0[4], self.0[5], self.0[6], self.0[7],
        ])
    }

    /// The lower 64 bits.
    pub fn interface_id(&self) -> u64 {
        u64::from_be_bytes([
            self.0[8], self.0[9], self.0[10], self.0[11], self.0[12], self.0[13], self.0[14],
            self.0[15],
        ])
    }

    /// Whether the GID is a multicast GID (first byte `0xff`).
    pub fn is_multicast(&self) -> bool {
        self.0[0] == 0xff
    }
}

impl fmt::Debug for Gid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Gid {
    /// The `ibv_devinfo` form: eight colon-separated groups of four hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, pair) in self.0.chunks(2).enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{:02x}{:02x}", pair[0], pair[1])?;
        }
        Ok(())
    }
}

/// What kind of GID a table entry holds (`enum ib_gid_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum GidType {
    /// InfiniBand, or RoCE v1.
    #[default]
    Ib,
    /// RoCE v2 (UDP encapsulated).
    RoceUdpEncap,
}

/// A GID table entry with its meta-data (`struct ib_gid_attr`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct GidAttr {
    /// The GID.
    pub gid: Gid,
    /// Its type.
    pub gid_type: GidType,
    /// Index in the port's GID table.
    pub index: u32,
    /// The port.
    pub port_num: u8,
    /// Name of the network device the GID belongs to (RoCE), if any.
    pub netdev: Option<String>,
}
