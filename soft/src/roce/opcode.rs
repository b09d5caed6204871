//! The opcodes of the RC and UD transports and the extension headers
//! each carries (IBTA 9.2; rxe_opcode.c's table).

/// Which extension headers follow the BTH, in IBTA order, and whether a
/// payload follows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// A DETH (UD: Q_Key and source QP).
    pub deth: bool,
    /// A RETH (RDMA address, rkey and length).
    pub reth: bool,
    /// An AtomicETH (address, rkey, swap or add, compare).
    pub atomic_eth: bool,
    /// An AETH (ACK syndrome and MSN).
    pub aeth: bool,
    /// An AtomicAckETH (the original value).
    pub atomic_ack_eth: bool,
    /// Immediate data.
    pub imm: bool,
    /// An IETH (the rkey to invalidate).
    pub ieth: bool,
    /// Payload bytes.
    pub payload: bool,
}

impl Layout {
    /// How many bytes the extension headers take.
    pub fn header_bytes(self) -> usize {
        [
            (self.deth, 8),
            (self.reth, 16),
            (self.atomic_eth, 28),
            (self.aeth, 4),
            (self.atomic_ack_eth, 8),
            (self.imm, 4),
            (self.ieth, 4),
        ]
        .iter()
        .filter(|(present, _)| *present)
        .map(|(_, bytes)| bytes)
        .sum()
    }
}

macro_rules! opcodes {
    ($($name:ident = $code:literal, $text:literal, [$($header:ident),*];)*) => {
        /// An RC or UD opcode (BTH byte 0).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Opcode {
            $(
                #[doc = $text]
                $name = $code,
            )*
        }

        impl Opcode {
            /// Every opcode, in code order.
            pub const ALL: &'static [Opcode] = &[$(Opcode::$name),*];

            /// The opcode with this code, if RC or UD has one.
            pub fn from_code(code: u8) -> Option<Opcode> {
                match code {
                    $($code => Some(Opcode::$name),)*
                    _ => None,
                }
            }

            /// Its name as IBTA (and Wireshark) writes it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Opcode::$name => $text,)*
                }
            }

            /// The headers and payload it carries.
            pub fn layout(self) -> Layout {
                match self {
                    $(Opcode::$name => Layout { $($header: true,)* ..Layout::default() },)*
                }
            }
        }
    };
}

opcodes! {
    RcSendFirst = 0x00, "RC Send First", [payload];
    RcSendMiddle = 0x01, "RC Send Middle", [payload];
    RcSendLast = 0x02, "RC Send Last", [payload];
    RcSendLastImm = 0x03, "RC Send Last Immediate", [imm, payload];
    RcSendOnly = 0x04, "RC Send Only", [payload];
    RcSendOnlyImm = 0x05, "RC Send Only Immediate", [imm, payload];
    RcWriteFirst = 0x06, "RC RDMA Write First", [reth, payload];
    RcWriteMiddle = 0x07, "RC RDMA Write Middle", [payload];
    RcWriteLast = 0x08, "RC RDMA Write Last", [payload];
    RcWriteLastImm = 0x09, "RC RDMA Write Last Immediate", [imm, payload];
    RcWriteOnly = 0x0a, "RC RDMA Write Only", [reth, payload];
    RcWriteOnlyImm = 0x0b, "RC RDMA Write Only Immediate", [reth, imm, payload];
    RcReadRequest = 0x0c, "RC RDMA Read Request", [reth];
    RcReadResponseFirst = 0x0d, "RC RDMA Read Response First", [aeth, payload];
    RcReadResponseMiddle = 0x0e, "RC RDMA Read Response Middle", [payload];
    RcReadResponseLast = 0x0f, "RC RDMA Read Response Last", [aeth, payload];
    RcReadResponseOnly = 0x10, "RC RDMA Read Response Only", [aeth, payload];
    RcAck = 0x11, "RC Acknowledge", [aeth];
    RcAtomicAck = 0x12, "RC Atomic Acknowledge", [aeth, atomic_ack_eth];
    RcCompareSwap = 0x13, "RC Compare Swap", [atomic_eth];
    RcFetchAdd = 0x14, "RC Fetch Add", [atomic_eth];
    RcSendLastInv = 0x16, "RC Send Last Invalidate", [ieth, payload];
    RcSendOnlyInv = 0x17, "RC Send Only Invalidate", [ieth, payload];
    UdSendOnly = 0x64, "UD Send Only", [deth, payload];
    UdSendOnlyImm = 0x65, "UD Send Only Immediate", [deth, imm, payload];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_and_nothing_else_reads() {
        for op in Opcode::ALL {
            assert_eq!(Opcode::from_code(*op as u8), Some(*op));
        }
        let known = (0..=255u8)
            .filter(|c| Opcode::from_code(*c).is_some())
            .count();
        assert_eq!(known, Opcode::ALL.len());
        assert_eq!(Opcode::from_code(0x15), None);
    }

    #[test]
    fn layouts_carry_their_headers() {
        assert_eq!(Opcode::RcWriteOnlyImm.layout().header_bytes(), 20);
        assert_eq!(Opcode::RcAtomicAck.layout().header_bytes(), 12);
        assert_eq!(Opcode::UdSendOnlyImm.layout().header_bytes(), 12);
        assert!(!Opcode::RcReadRequest.layout().payload);
    }
}
