//! The AETH syndrome (IBTA 9.7.5.1): an ACK with its credit count, an RNR
//! NAK with the timer the requester must wait, or a NAK with its code.

/// What an AETH says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syndrome {
    /// Acknowledged, with the receive credits the responder advertises
    /// (0..=30; 31 means none are tracked).
    Ack {
        /// The 5-bit credit count code.
        credits: u8,
    },
    /// Receiver not ready: retry after the 5-bit timer code's delay.
    RnrNak {
        /// The IBTA timer code (`min_rnr_timer`).
        timer: u8,
    },
    /// Refused.
    Nak(NakCode),
}

/// Why a responder refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NakCode {
    /// A PSN past the expected one: a packet was lost.
    PsnSequenceError,
    /// An opcode out of sequence, a length that does not fit.
    InvalidRequest,
    /// An rkey, address or access right the request lacks.
    RemoteAccessError,
    /// The responder failed to carry it out.
    RemoteOperationalError,
    /// An invalid RD request (reliable datagram).
    InvalidRdRequest,
}

impl NakCode {
    fn code(self) -> u8 {
        match self {
            NakCode::PsnSequenceError => 0,
            NakCode::InvalidRequest => 1,
            NakCode::RemoteAccessError => 2,
            NakCode::RemoteOperationalError => 3,
            NakCode::InvalidRdRequest => 4,
        }
    }

    fn from_code(code: u8) -> Option<NakCode> {
        Some(match code {
            0 => NakCode::PsnSequenceError,
            1 => NakCode::InvalidRequest,
            2 => NakCode::RemoteAccessError,
            3 => NakCode::RemoteOperationalError,
            4 => NakCode::InvalidRdRequest,
            _ => return None,
        })
    }
}

impl Syndrome {
    /// The AETH's syndrome byte: two bits of kind (00 ACK, 01 RNR NAK,
    /// 11 NAK) above five bits of value.
    pub fn to_byte(self) -> u8 {
        match self {
            Syndrome::Ack { credits } => credits & 0x1f,
            Syndrome::RnrNak { timer } => 0x20 | (timer & 0x1f),
            Syndrome::Nak(code) => 0x60 | code.code(),
        }
    }

    /// The syndrome a byte holds; `None` for a reserved kind or NAK code.
    pub fn from_byte(byte: u8) -> Option<Syndrome> {
        let value = byte & 0x1f;
        match (byte >> 5) & 3 {
            0 => Some(Syndrome::Ack { credits: value }),
            1 => Some(Syndrome::RnrNak { timer: value }),
            3 => NakCode::from_code(value).map(Syndrome::Nak),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_reads_back_or_is_refused() {
        let mut read = 0;
        for byte in 0..=0x7fu8 {
            if let Some(s) = Syndrome::from_byte(byte) {
                assert_eq!(s.to_byte(), byte, "{s:?}");
                read += 1;
            }
        }
        // 32 ACKs, 32 RNR NAKs and the 5 NAK codes.
        assert_eq!(read, 69);
        assert_eq!(
            Syndrome::from_byte(0x1f),
            Some(Syndrome::Ack { credits: 31 })
        );
        assert_eq!(Syndrome::Nak(NakCode::RemoteAccessError).to_byte(), 0x62);
        assert_eq!(Syndrome::from_byte(0x40), None);
    }
}
