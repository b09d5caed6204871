//! An IPsec ESP flow action (`struct ibv_flow_action_esp_attr`).

/// The key material protocol (`enum ibv_flow_action_esp_keymat`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EspKeymat {
    /// AES-GCM: the key, the salt and the IV.
    AesGcm {
        /// The key (16, 24 or 32 bytes).
        key: Vec<u8>,
        /// The salt.
        salt: [u8; 4],
        /// The implicit IV.
        iv: [u8; 8],
    },
}

/// Anti-replay protection (`enum ibv_flow_action_esp_replay`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EspReplay {
    /// None.
    #[default]
    None,
    /// A window of this many packets.
    Bitmap {
        /// The window's size.
        size: u32,
    },
}

/// What an ESP flow action does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EspAttr {
    /// The security parameter index.
    pub spi: u32,
    /// The next sequence number (ESN's low half).
    pub seq: u32,
    /// The key material.
    pub keymat: EspKeymat,
    /// Anti-replay.
    pub replay: EspReplay,
    /// The extended sequence number's high half, if in use.
    pub esn: Option<u32>,
}
