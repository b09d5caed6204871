//! Attribute groups: the sysfs files a driver adds under its device and
//! under each port (`const struct attribute_group *device_group` and
//! `**port_groups` of the ops table).

use crate::device::Device;

/// One read-only attribute: its file name and how its text is made.
#[derive(Clone, Copy, Debug)]
pub struct Attribute {
    /// The file name, e.g. `board_id`.
    pub name: &'static str,
    /// The file's text for a device, and for a port when the attribute is
    /// in a port group (`None` for a device group).
    pub show: fn(&Device, Option<u8>) -> String,
}

/// A named set of attributes (`struct attribute_group`); an unnamed group
/// puts its files directly in the directory.
#[derive(Clone, Copy, Debug)]
pub struct AttributeGroup {
    /// The subdirectory, if any.
    pub name: Option<&'static str>,
    /// The attributes.
    pub attrs: &'static [Attribute],
}

impl AttributeGroup {
    /// The attribute called `name`.
    pub fn find(&self, name: &str) -> Option<&'static Attribute> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// Every attribute's `(name, text)` for `device` (and `port`).
    pub fn show_all(&self, device: &Device, port: Option<u8>) -> Vec<(&'static str, String)> {
        self.attrs
            .iter()
            .map(|a| (a.name, (a.show)(device, port)))
            .collect()
    }
}
