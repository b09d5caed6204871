//! The trait a provider's op table implements.

use super::IbDeviceOps;

/// A type that provides a constant ops table, usually through
/// `#[derive(DeviceOps)]`.
///
/// The table is a `const`, so it costs nothing at run time and can be used in
/// `const` and `static` items: `static OPS: IbDeviceOps = <Soft as ProvideOps>::OPS;`.
pub trait ProvideOps {
    /// The table: the ops this type implements; every other op is `None`.
    const OPS: IbDeviceOps;
}
