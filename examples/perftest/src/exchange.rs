//! perftest's out-of-band exchange over TCP (port 18515 by default): each
//! end sends its destination as perftest's 108-byte text
//! `LID:OUT_READS:QPN:PSN:RKEY:VADDR:G0:…:G15:SRQN:` (hex, NUL-terminated);
//! the client writes first and reads, the server reads and writes. The
//! same exchange synchronizes the ends between the test's phases.

use ibops::oob::OobChannel;
use ibops::prelude::*;

use crate::end::RemoteBuf;

/// The message's size (perftest's `KEY_MSG_SIZE_GID`).
pub(crate) const MSG_BYTES: usize = 108;

/// What one end tells the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dest {
    pub(crate) lid: u16,
    /// READs and atomics it may have outstanding.
    pub(crate) out_reads: u16,
    pub(crate) qpn: u32,
    pub(crate) psn: u32,
    /// Where the peer's requests land.
    pub(crate) buf: RemoteBuf,
    pub(crate) gid: Gid,
}

impl Dest {
    /// The message carrying it.
    pub(crate) fn encode(&self) -> [u8; MSG_BYTES] {
        let gid: Vec<String> = self.gid.0.iter().map(|b| format!("{b:02x}")).collect();
        let text = format!(
            "{:04x}:{:04x}:{:06x}:{:06x}:{:08x}:{:016x}:{}:{:08x}:",
            self.lid,
            self.out_reads,
            self.qpn,
            self.psn,
            self.buf.rkey,
            self.buf.addr,
            gid.join(":"),
            0
        );
        let mut msg = [0u8; MSG_BYTES];
        let n = text.len().min(MSG_BYTES - 1);
        msg[..n].copy_from_slice(&text.as_bytes()[..n]);
        msg
    }

    /// The destination a message describes.
    ///
    /// # Errors
    /// A message that is not perftest's format.
    pub(crate) fn decode(msg: &[u8]) -> Result<Dest, String> {
        let text = msg.split(|b| *b == 0).next().unwrap_or_default();
        let text = std::str::from_utf8(text).map_err(|_| "the remote address is not text")?;
        let bad = || format!("the remote address {text:?} is not perftest's");
        let fields: Vec<&str> = text.split(':').collect();
        if fields.len() < 23 {
            return Err(bad());
        }
        let hex = |s: &str| u64::from_str_radix(s, 16).map_err(|_| bad());
        let narrow = |v: u64| u32::try_from(v).map_err(|_| bad());
        let mut gid = [0u8; 16];
        for (i, byte) in gid.iter_mut().enumerate() {
            *byte = u8::from_str_radix(fields[6 + i], 16).map_err(|_| bad())?;
        }
        Ok(Dest {
            lid: u16::try_from(hex(fields[0])?).map_err(|_| bad())?,
            out_reads: u16::try_from(hex(fields[1])?).map_err(|_| bad())?,
            qpn: narrow(hex(fields[2])?)?,
            psn: narrow(hex(fields[3])?)?,
            buf: RemoteBuf {
                rkey: narrow(hex(fields[4])?)?,
                addr: hex(fields[5])?,
            },
            gid: Gid(gid),
        })
    }
}

/// Exchanges `me` for the peer's destination over `channel`, in
/// perftest's order (the client writes first).
///
/// # Errors
/// The connection's error, or a message that is not perftest's.
pub(crate) fn hand_shake(channel: &mut OobChannel, me: &Dest) -> Result<Dest, String> {
    let theirs = channel
        .swap(&me.encode())
        .map_err(|e| format!("Couldn't exchange addresses: {e}"))?;
    Dest::decode(&theirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_destination_reads_back() {
        let dest = Dest {
            lid: 0,
            out_reads: 16,
            qpn: 0x11,
            psn: 0xabcdef,
            buf: RemoteBuf {
                addr: 0x7f00_1234_5678,
                rkey: 0x1234,
            },
            gid: Gid(std::net::Ipv4Addr::new(10, 77, 0, 1)
                .to_ipv6_mapped()
                .octets()),
        };
        let msg = dest.encode();
        assert_eq!(msg.iter().position(|b| *b == 0), Some(MSG_BYTES - 1));
        assert!(msg.starts_with(b"0000:0010:000011:abcdef:00001234:00007f0012345678:00:00:"));
        assert_eq!(Dest::decode(&msg), Ok(dest));
        assert!(Dest::decode(b"0000:0010").is_err());
    }
}
