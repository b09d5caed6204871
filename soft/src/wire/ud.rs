//! UD across the link: a UD send through an address handle whose GRH names
//! a peer's GID leaves as one `UD SEND ONLY` packet with its DETH, and a
//! datagram that arrives is checked (its Q_Key) and delivered to its QP's
//! receive with the sender's IP header in the 40 bytes the GRH takes.

use std::io;

use ibops::buffer::Buffer;
use ibops::verbs::QpType;

use crate::device::SoftDevice;
use crate::keys::Segment;
use crate::link::{Arrived, Link, ip_of_gid};
use crate::memory::{SgList, Source};
use crate::responder::Responder;
use crate::roce::{Bth, Deth, Opcode, Packet};

/// The headers of one UD message to send.
pub(crate) struct Datagram {
    /// The sending QP.
    pub(crate) src_qp: u32,
    /// The receiving QP.
    pub(crate) dest_qp: u32,
    /// The receiving QP's Q_Key.
    pub(crate) qkey: u32,
    /// Immediate data.
    pub(crate) imm: Option<u32>,
    /// Whether the receiver's CQ event is solicited.
    pub(crate) solicited: bool,
}

/// Sends `payload` as `datagram` to the device whose GID is `dgid`.
pub(crate) fn send(
    link: &Link,
    dgid: [u8; 16],
    datagram: &Datagram,
    payload: &[u8],
) -> io::Result<()> {
    let opcode = if datagram.imm.is_some() {
        Opcode::UdSendOnlyImm
    } else {
        Opcode::UdSendOnly
    };
    let mut packet = Packet::new(Bth {
        opcode,
        solicited: datagram.solicited,
        mig_req: true,
        pad: 0,
        pkey: 0xffff,
        dest_qp: datagram.dest_qp,
        ack_req: false,
        psn: 0,
    });
    packet.deth = Some(Deth {
        qkey: datagram.qkey,
        src_qp: datagram.src_qp,
    });
    packet.imm = datagram.imm;
    packet.payload = payload;
    link.send(ip_of_gid(dgid), &packet)
}

/// Delivers a datagram that arrived to its QP, as an in-process UD send
/// would: `false` when no UD QP of that number with that Q_Key is there to
/// take it.
pub(crate) fn arrive(device: &SoftDevice, arrived: &Arrived<'_>) -> bool {
    let packet = &arrived.packet;
    let Some(deth) = packet.deth else {
        return false;
    };
    let dest_qp = packet.bth.dest_qp;
    let taken = device
        .qp(dest_qp)
        .is_some_and(|t| t.qp_type == QpType::Ud && t.receives() && t.qkey() == deth.qkey);
    if !taken {
        return false;
    }
    let Ok(bytes) = Buffer::try_from(packet.payload.to_vec()) else {
        return false;
    };
    let list = SgList::one(Segment {
        buffer: &bytes,
        offset: 0,
        len: packet.payload.len(),
    });
    let keys = device.keys.read();
    let mut responder = Responder::new(device, &keys, deth.src_qp);
    let src = Source::Captured(&list);
    responder.datagram(&src, dest_qp, deth.qkey, packet.imm, Some(&arrived.grh));
    responder.release();
    true
}
