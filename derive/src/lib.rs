//! `#[derive(DeviceOps)]` (in progress).
/// Builds a provider's ops table.
#[proc_macro_derive(DeviceOps, attributes(device_ops))]
pub fn derive(_i: proc_macro::TokenStream) -> proc_macro::TokenStream {
    proc_macro::TokenStream::new()
}
