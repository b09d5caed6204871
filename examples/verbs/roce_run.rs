//! Runs every opcode the soft device sends over its RoCEv2 link, between
//! two devices on loopback addresses (127.0.99.1 and 127.0.99.2), and
//! prints what the run used as one JSON object: the QP numbers, first
//! PSNs, rkey, Q_Key, message lengths and immediates, for
//! `scripts/roce_check.py` to compare with Wireshark's reading of a
//! capture of the run. Every opcode of RC and UD but SEND with invalidate
//! (the soft device has no memory windows to invalidate):
//! - SENDs of one packet, three packets and with immediate data (FIRST,
//!   MIDDLE, LAST, LAST with immediate, ONLY, ONLY with immediate);
//! - RDMA WRITEs likewise (FIRST with its RETH, MIDDLE, LAST, LAST with
//!   immediate, ONLY, ONLY with immediate);
//! - RDMA READs of one and of three packets (the request, and the
//!   response's FIRST, MIDDLE, LAST and ONLY);
//! - compare-and-swap and fetch-and-add (and their atomic ACKs);
//! - ACKs, and an RNR NAK: a SEND that arrives before its receive;
//! - UD SEND ONLY with and without immediate data.
//!
//! ```sh
//! cargo run --example roce_run
//! ```

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ibops::prelude::*;
use ibops_soft::SoftConfig;

const QKEY: u32 = 0x1111_2222;
const PSN_A: u32 = 0x00ab_0000;
const PSN_B: u32 = 0x0000_0cd0;
const MTU: Mtu = Mtu::Mtu1024;
const BUF: usize = 1 << 16;

/// A device on the link at `ip`, with an RC and a UD QP.
struct Side {
    device: Device,
    pd: Arc<Pd>,
    cq: Arc<Cq>,
    rc: Arc<Qp>,
    ud: Arc<Qp>,
    mr: Arc<Mr>,
    _buf: Buffer,
}

impl Side {
    fn new(ip: Ipv4Addr) -> Result<Side, Error> {
        let mut config = SoftConfig::new(format!("roce-run-{ip}"));
        config.roce = Some(SocketAddr::new(IpAddr::V4(ip), 0));
        let device = config.probe()?;
        let pd = device.alloc_pd()?;
        let cq = device.create_cq(&CqInitAttr::new(256))?;
        let cap = QpCap::single_sge(32, 32);
        let rc = pd.create_qp(&QpInitAttr::new(QpType::Rc, &cq, &cq, cap))?;
        let ud = pd.create_qp(&QpInitAttr::new(QpType::Ud, &cq, &cq, cap))?;
        ud.activate_ud(QKEY)?;
        let buf = Buffer::new(BUF)?;
        let access = AccessFlags::LOCAL_WRITE
            | AccessFlags::REMOTE_WRITE
            | AccessFlags::REMOTE_READ
            | AccessFlags::REMOTE_ATOMIC;
        let mr = pd.reg_mr(&UserMemory::whole(&buf), access)?;
        Ok(Side {
            device,
            pd,
            cq,
            rc,
            ud,
            mr,
            _buf: buf,
        })
    }

    fn endpoint(&self, psn: u32) -> Result<RcEndpoint, Error> {
        Ok(RcEndpoint {
            lid: 0,
            qpn: self.rc.qp_num(),
            psn,
            gid: self.device.query_gid(1, 0)?,
        })
    }

    fn sge(&self, offset: u64, len: u32) -> Result<Sge, Error> {
        self.mr.sge(offset, len)
    }

    /// Waits for `n` completions, all successful.
    fn wait(&self, n: usize) -> Result<(), String> {
        let start = Instant::now();
        let mut wc = [WorkCompletion::default(); 16];
        let mut got = 0;
        while got < n {
            let k = self.cq.poll(&mut wc).map_err(|e| e.to_string())?;
            if let Some(bad) = wc[..k].iter().find(|c| c.status != WcStatus::Success) {
                return Err(format!(
                    "completion {} failed: {}",
                    bad.wr_id,
                    bad.status.as_str()
                ));
            }
            got += k;
            if start.elapsed() > Duration::from_secs(10) {
                return Err(format!("{got} of {n} completions after 10 s"));
            }
        }
        Ok(())
    }
}

/// The RC work requests of the run, with their lengths.
fn rc_requests(a: &Side, b: &Side) -> Result<(Vec<SendWr>, Vec<u32>), Error> {
    let (addr, rkey) = (b.mr.addr(), b.mr.rkey());
    let write = |at: u64| WrOpcode::RdmaWrite {
        remote_addr: addr + at,
        rkey,
    };
    let write_imm = |at: u64, imm_data| WrOpcode::RdmaWriteWithImm {
        remote_addr: addr + at,
        rkey,
        imm_data,
    };
    let ops: Vec<(WrOpcode, u32)> = vec![
        (WrOpcode::Send, 2500),
        (WrOpcode::Send, 100),
        (
            WrOpcode::SendWithImm {
                imm_data: 0x0102_0304,
            },
            100,
        ),
        (
            WrOpcode::SendWithImm {
                imm_data: 0x0506_0708,
            },
            2500,
        ),
        (write(24576), 2500),
        (write(28672), 100),
        (write_imm(32768, 0x090a_0b0c), 100),
        (write_imm(36864, 0x0d0e_0f10), 2500),
        (
            WrOpcode::RdmaRead {
                remote_addr: addr + 40960,
                rkey,
            },
            2500,
        ),
        (
            WrOpcode::RdmaRead {
                remote_addr: addr + 45056,
                rkey,
            },
            100,
        ),
        (
            WrOpcode::AtomicCmpAndSwp {
                remote_addr: addr + 49152,
                rkey,
                compare_add: 0,
                swap: 7,
            },
            8,
        ),
        (
            WrOpcode::AtomicFetchAndAdd {
                remote_addr: addr + 49160,
                rkey,
                compare_add: 3,
            },
            8,
        ),
    ];
    let mut wrs = Vec::new();
    let mut lens = Vec::new();
    for (i, (op, len)) in ops.into_iter().enumerate() {
        wrs.push(SendWr::new(i as u64 + 10, op, [a.sge(0, len)?]).signaled());
        lens.push(len);
    }
    Ok((wrs, lens))
}

fn run() -> Result<String, String> {
    let e = |e: Error| e.to_string();
    let a = Side::new(Ipv4Addr::new(127, 0, 99, 1)).map_err(e)?;
    let b = Side::new(Ipv4Addr::new(127, 0, 99, 2)).map_err(e)?;
    let path = RcPath {
        mtu: MTU,
        access: AccessFlags::LOCAL_WRITE
            | AccessFlags::REMOTE_WRITE
            | AccessFlags::REMOTE_READ
            | AccessFlags::REMOTE_ATOMIC,
        // A short RNR wait: the first SEND finds no receive.
        min_rnr_timer: 1,
        max_rd_atomic: 4,
        max_dest_rd_atomic: 4,
        ..RcPath::default()
    };
    a.rc.connect_to(PSN_A, &b.endpoint(PSN_B).map_err(e)?, &path)
        .map_err(e)?;
    b.rc.connect_to(PSN_B, &a.endpoint(PSN_A).map_err(e)?, &path)
        .map_err(e)?;
    let (wrs, lens) = rc_requests(&a, &b).map_err(e)?;
    // The first SEND is answered with an RNR NAK: its receive comes later.
    a.rc.post_send(&wrs[..1]).map_err(e)?;
    std::thread::sleep(Duration::from_millis(20));
    let recvs: Vec<RecvWr> = (0..6)
        .map(|i| b.sge(i * 4096, 4096).map(|s| RecvWr::new(100 + i, [s])))
        .collect::<Result<_, _>>()
        .map_err(e)?;
    b.rc.post_recv(&recvs).map_err(e)?;
    a.rc.post_send(&wrs[1..]).map_err(e)?;
    a.wait(wrs.len()).map_err(|m| format!("RC: {m}"))?;
    // B's receive completions: four SENDs and two WRITEs with immediate.
    b.wait(6).map_err(|m| format!("RC receives: {m}"))?;
    // UD, both ways of immediate data.
    b.ud.post_recv(&[
        RecvWr::new(200, [b.sge(0, 1024).map_err(e)?]),
        RecvWr::new(201, [b.sge(1024, 1024).map_err(e)?]),
    ])
    .map_err(e)?;
    let ah =
        a.pd.create_ah(&AhAttr {
            port_num: 1,
            grh: Some(GlobalRoute {
                dgid: b.device.query_gid(1, 0).map_err(e)?,
                ..GlobalRoute::default()
            }),
            ..AhAttr::default()
        })
        .map_err(e)?;
    let ud = |imm_data| WrOpcode::UdSend {
        ah: Arc::clone(&ah),
        remote_qpn: b.ud.qp_num(),
        remote_qkey: QKEY,
        imm_data,
    };
    a.ud.post_send(&[
        SendWr::new(300, ud(None), [a.sge(0, 64).map_err(e)?]).signaled(),
        SendWr::new(301, ud(Some(0x1112_1314)), [a.sge(0, 64).map_err(e)?]).signaled(),
    ])
    .map_err(e)?;
    a.wait(2).map_err(|m| format!("UD: {m}"))?;
    b.wait(2).map_err(|m| format!("UD receives: {m}"))?;
    let list = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
    Ok(format!(
        "{{\"qpns\": [{}], \"psns\": [{PSN_A}, {PSN_B}], \"rkey\": {}, \"qkey\": {QKEY}, \
         \"lengths\": [{}], \"mtu\": {}, \"imms\": [16909060, 84281096, 151653132, 219025168, 286397204]}}",
        list(&[a.rc.qp_num(), b.rc.qp_num(), a.ud.qp_num(), b.ud.qp_num()]),
        b.mr.rkey(),
        list(&lens),
        MTU.bytes(),
    ))
}

fn main() -> ExitCode {
    match run() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("roce_run: {e}");
            ExitCode::FAILURE
        }
    }
}
