//! The two sides of a test: RC QPs on one soft device, connected to each
//! other, each with its own CQs and one registered buffer.

use ibops::prelude::*;
use ibops_soft::SoftConfig;

use crate::report::Banner;

/// Every right a peer may use.
pub(crate) const ACCESS: AccessFlags = AccessFlags::LOCAL_WRITE
    .union(AccessFlags::REMOTE_WRITE)
    .union(AccessFlags::REMOTE_READ)
    .union(AccessFlags::REMOTE_ATOMIC);

/// One side.
pub(crate) struct End {
    pub(crate) qp: Arc<Qp>,
    pub(crate) send_cq: Arc<Cq>,
    pub(crate) recv_cq: Arc<Cq>,
    pub(crate) buf: Buffer,
    pub(crate) mr: Arc<Mr>,
}

/// The queues of each end: send and receive depths, and the inline data
/// its sends may carry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Queues {
    pub(crate) sq_depth: u32,
    pub(crate) rq_depth: u32,
    pub(crate) max_inline: u32,
}

/// A peer's buffer as a requester reaches it: where its messages land
/// (the second half of its buffer) and the rkey.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RemoteBuf {
    pub(crate) addr: u64,
    pub(crate) rkey: u32,
}

/// A connected client and server.
pub(crate) struct Pair {
    pub(crate) device: Device,
    pub(crate) client: End,
    pub(crate) server: End,
}

impl End {
    pub(crate) fn new(device: &Device, size: u64, queues: Queues) -> Result<End, Error> {
        let Queues {
            sq_depth,
            rq_depth,
            max_inline,
        } = queues;
        let pd = device.alloc_pd()?;
        let send_cq = device.create_cq(&CqInitAttr::new(sq_depth.max(16)))?;
        let recv_cq = device.create_cq(&CqInitAttr::new(rq_depth.max(16)))?;
        let cap = QpCap {
            max_inline_data: max_inline,
            ..QpCap::single_sge(sq_depth, rq_depth)
        };
        let qp = pd.create_qp(&QpInitAttr::new(QpType::Rc, &send_cq, &recv_cq, cap))?;
        // Two halves: messages go out of the first; `write_lat` writes into
        // the peer's second half and watches its own.
        let len =
            usize::try_from(2 * size.max(8)).map_err(|_| Error::InvalidArgument("message size"))?;
        let buf = Buffer::new(len)?;
        let mr = pd.reg_mr(&UserMemory::whole(&buf), ACCESS)?;
        Ok(End {
            qp,
            send_cq,
            recv_cq,
            buf,
            mr,
        })
    }

    /// A scatter/gather entry over the first `size` bytes (inside the
    /// buffer, which is made for the largest size).
    pub(crate) fn sge(&self, size: u64) -> Sge {
        Sge::new(self.mr.addr(), size as u32, self.mr.lkey())
    }

    /// The second half of its buffer, where a peer's messages land.
    pub(crate) fn inbox(&self) -> RemoteBuf {
        RemoteBuf {
            addr: self.mr.addr() + self.buf.len() as u64 / 2,
            rkey: self.mr.rkey(),
        }
    }

    /// perftest's address line, for an end sending from `psn`.
    pub(crate) fn address(&self, psn: u32) -> String {
        address(0x01, self.qp.qp_num(), psn, self.inbox())
    }
}

impl Pair {
    /// The banner of a run in this process: the client's address, then
    /// the server's.
    pub(crate) fn banner(&self) -> Banner<'_> {
        Banner {
            device: self.device.name(),
            method: "in process",
            local: self.client.address(0),
            remote: self.server.address(0),
        }
    }

    /// A client and a server with `queues`, buffers of `size` bytes,
    /// connected in RTS.
    pub(crate) fn new(size: u64, queues: Queues) -> Result<Pair, Error> {
        let device = SoftConfig::new("soft0").probe()?;
        Pair::on(&device, size, queues)
    }

    /// Another pair on `device`, as [`new`](Self::new) makes one.
    pub(crate) fn on(device: &Device, size: u64, queues: Queues) -> Result<Pair, Error> {
        let device = device.clone();
        let client = End::new(&device, size, queues)?;
        let server = End::new(&device, size, queues)?;
        client.qp.connect_rc(server.qp.qp_num(), ACCESS, 7)?;
        server.qp.connect_rc(client.qp.qp_num(), ACCESS, 7)?;
        Ok(Pair {
            device,
            client,
            server,
        })
    }
}

/// perftest's address line: `LID`, `QPN`, `PSN`, `RKey` and `VAddr`.
pub(crate) fn address(lid: u16, qpn: u32, psn: u32, buf: RemoteBuf) -> String {
    format!(
        "LID {lid:#04x} QPN {qpn:#06x} PSN {psn:#08x} RKey {:#08x} VAddr {:#016x}",
        buf.rkey, buf.addr
    )
}
