//! The two sides of a test: RC QPs on one soft device, connected to each
//! other, each with its own CQs and one registered buffer.

use ibops::prelude::*;
use ibops_soft::SoftConfig;

/// Every right a peer may use.
const ACCESS: AccessFlags = AccessFlags::LOCAL_WRITE
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

/// A connected client and server.
pub(crate) struct Pair {
    pub(crate) device: Device,
    pub(crate) client: End,
    pub(crate) server: End,
}

impl End {
    fn new(device: &Device, size: u64, queues: Queues) -> Result<End, Error> {
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

    /// The address of the second half, where `write_lat` messages land.
    pub(crate) fn inbox(&self) -> u64 {
        self.mr.addr() + self.buf.len() as u64 / 2
    }

    /// perftest's address line.
    pub(crate) fn address(&self) -> String {
        format!(
            "LID 0x01 QPN {:#06x} PSN 0x000000 RKey {:#08x} VAddr {:#016x}",
            self.qp.qp_num(),
            self.mr.rkey(),
            self.mr.addr()
        )
    }
}

impl Pair {
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
