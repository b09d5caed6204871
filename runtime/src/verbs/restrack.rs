//! Resource tracking: the driver-specific attributes a provider adds to
//! `rdma resource` and `rdma stat` dumps (`fill_res_*_entry`, which write
//! netlink attributes into a `struct sk_buff`).

/// One attribute value of a resource entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResValue {
    /// A 32-bit number.
    U32(u32),
    /// A 64-bit number.
    U64(u64),
    /// Text.
    Str(String),
    /// Raw bytes (the `_raw` dumps: a hardware context as the device holds it).
    Raw(Vec<u8>),
}

/// The driver attributes of one resource entry, in the order written
/// (the netlink message a `fill_res_*_entry` op fills).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ResMessage {
    /// `(name, value)` pairs.
    pub attrs: Vec<(String, ResValue)>,
}

impl ResMessage {
    /// Adds a 32-bit attribute.
    pub fn put_u32(&mut self, name: &str, value: u32) {
        self.attrs.push((name.to_owned(), ResValue::U32(value)));
    }

    /// Adds a 64-bit attribute.
    pub fn put_u64(&mut self, name: &str, value: u64) {
        self.attrs.push((name.to_owned(), ResValue::U64(value)));
    }

    /// Adds a text attribute.
    pub fn put_str(&mut self, name: &str, value: &str) {
        self.attrs
            .push((name.to_owned(), ResValue::Str(value.to_owned())));
    }

    /// Adds a raw attribute.
    pub fn put_raw(&mut self, name: &str, value: &[u8]) {
        self.attrs
            .push((name.to_owned(), ResValue::Raw(value.to_vec())));
    }

    /// The value of the attribute `name`, if written.
    pub fn get(&self, name: &str) -> Option<&ResValue> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}
