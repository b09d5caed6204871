//! The out-of-band exchange of `ibv_rc_pingpong`: over TCP (port 18515
//! by default), each end sends its address as the 52 bytes
//! `LLLL:QQQQQQ:PPPPPP:GGGG…` (LID, QPN and PSN in hex, the GID as 32 hex
//! digits, NUL-terminated); the client writes first, then reads, then
//! writes `done`; the server reads, connects its QP, writes, and reads
//! `done`.

use ibops::prelude::*;

/// The message's size: `"0000:000000:000000:" + 32 hex digits + NUL`.
pub(crate) const MSG_BYTES: usize = 52;

/// `endpoint` as the message carries it.
pub(crate) fn encode(endpoint: &RcEndpoint) -> [u8; MSG_BYTES] {
    let gid: String = endpoint.gid.0.iter().map(|b| format!("{b:02x}")).collect();
    let text = format!(
        "{:04x}:{:06x}:{:06x}:{gid}",
        endpoint.lid, endpoint.qpn, endpoint.psn
    );
    let mut msg = [0u8; MSG_BYTES];
    msg[..text.len()].copy_from_slice(text.as_bytes());
    msg
}

/// The endpoint a message describes.
///
/// # Errors
/// A message that is not `LID:QPN:PSN:GID` in hex.
pub(crate) fn decode(msg: &[u8]) -> Result<RcEndpoint, String> {
    let text = msg.split(|b| *b == 0).next().unwrap_or_default();
    let text = std::str::from_utf8(text).map_err(|_| "the remote address is not text")?;
    let bad = || format!("the remote address {text:?} is not LID:QPN:PSN:GID");
    let fields: Vec<&str> = text.split(':').collect();
    let [lid, qpn, psn, gid] = fields.as_slice() else {
        return Err(bad());
    };
    let hex = |s: &str| u32::from_str_radix(s, 16).map_err(|_| bad());
    if gid.len() != 32 {
        return Err(bad());
    }
    let mut raw = [0u8; 16];
    for (i, byte) in raw.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&gid[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(RcEndpoint {
        lid: u16::try_from(hex(lid)?).map_err(|_| bad())?,
        qpn: hex(qpn)?,
        psn: hex(psn)?,
        gid: Gid(raw),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_reads_back_and_a_bad_one_is_refused() {
        let endpoint = RcEndpoint {
            lid: 0,
            qpn: 0x11,
            psn: 0xabcdef,
            gid: Gid(std::net::Ipv4Addr::new(127, 0, 0, 2)
                .to_ipv6_mapped()
                .octets()),
        };
        let msg = encode(&endpoint);
        assert_eq!(
            &msg[..MSG_BYTES - 1],
            b"0000:000011:abcdef:00000000000000000000ffff7f000002"
        );
        assert_eq!(decode(&msg), Ok(endpoint));
        assert!(decode(b"0000:zz:0:00").is_err());
        assert!(decode(b"0000:000011:abcdef:00ff").is_err());
    }
}
