//! `pingpong`: `ibv_rc_pingpong` on the soft device. Two RC QPs in two
//! threads exchange `-n` round trips of `-s` bytes; every message is
//! checked byte for byte, and the summary is printed as `ibv_rc_pingpong`
//! prints it. Exits 1 if any message is wrong or a completion fails.
//!
//! ```sh
//! cargo run --release --example pingpong -- -s 4096 -n 1000
//! ```

use std::cell::Cell;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use clap::{Arg, Command, value_parser};
use ibops::prelude::*;
use ibops::soft::SoftConfig;

/// How long a completion may take before the run is declared stuck.
const TIMEOUT: Duration = Duration::from_secs(10);
const RECV_ID: u64 = 1;
const SEND_ID: u64 = 2;

/// One side: its QP, CQ and a buffer holding a send half and a receive half.
struct End {
    qp: Arc<Qp>,
    cq: Arc<Cq>,
    buf: Buffer,
    mr: Arc<Mr>,
    size: u32,
    /// Completions polled while waiting for the other kind, by wr_id - 1:
    /// the peer's next message can arrive before our send completes.
    early: Cell<[u32; 2]>,
}

impl End {
    fn new(device: &Device, size: u32) -> Result<End, Error> {
        let pd = device.alloc_pd()?;
        let cq = device.create_cq(&CqInitAttr::new(16))?;
        let qp = pd.create_qp(&QpInitAttr::new(
            QpType::Rc,
            &cq,
            &cq,
            QpCap::single_sge(1, 1),
        ))?;
        let buf = Buffer::new(2 * size as usize)?;
        let mr = pd.reg_mr(&UserMemory::whole(&buf), AccessFlags::LOCAL_WRITE)?;
        Ok(End {
            qp,
            cq,
            buf,
            mr,
            size,
            early: Cell::new([0; 2]),
        })
    }

    fn post_recv(&self) -> Result<(), Error> {
        let sge = self.mr.sge(u64::from(self.size), self.size)?;
        self.qp.post_recv(&[RecvWr::new(RECV_ID, vec![sge])])
    }

    fn send(&self, message: &[u8]) -> Result<(), Error> {
        self.buf.write(0, message)?;
        let sge = self.mr.sge(0, self.size)?;
        self.qp
            .post_send(&[SendWr::new(SEND_ID, WrOpcode::Send, vec![sge]).signaled()])
    }

    /// Waits for a successful completion `wr_id` (taking one polled early
    /// if there is one).
    fn wait(&self, wr_id: u64) -> Result<(), String> {
        let slot = (wr_id - 1) as usize;
        let mut early = self.early.get();
        if early[slot] > 0 {
            early[slot] -= 1;
            self.early.set(early);
            return Ok(());
        }
        let start = Instant::now();
        let mut wc = [WorkCompletion::default()];
        loop {
            if self.cq.poll(&mut wc).map_err(|e| e.to_string())? == 1 {
                let c = wc[0];
                if c.status != WcStatus::Success {
                    return Err(format!(
                        "completion {} failed: {}",
                        c.wr_id,
                        c.status.as_str()
                    ));
                }
                if c.wr_id == wr_id {
                    return Ok(());
                }
                let mut early = self.early.get();
                early[(c.wr_id - 1) as usize & 1] += 1;
                self.early.set(early);
            }
            if start.elapsed() > TIMEOUT {
                return Err(format!("no completion {wr_id} within {TIMEOUT:?}"));
            }
            std::hint::spin_loop();
        }
    }

    /// Checks the received half against `expected`.
    fn check(&self, expected: &[u8]) -> Result<(), String> {
        let same = self
            .buf
            .with(|bytes| &bytes[self.size as usize..] == expected);
        if same {
            Ok(())
        } else {
            Err("received data differs from what was sent".to_owned())
        }
    }

    fn address(&self, device: &Device) -> String {
        let gid = device
            .query_gid(1, 0)
            .map_or_else(|e| e.to_string(), |g| g.to_string());
        format!(
            "LID 0x0001, QPN {:#08x}, PSN 0x000000, GID {gid}",
            self.qp.qp_num()
        )
    }
}

/// The bytes of message `i` (replies use `!i`).
fn message(i: u64, size: u32) -> Vec<u8> {
    let seed = i
        .to_le_bytes()
        .iter()
        .fold(0u8, |a, b| a.wrapping_mul(31) ^ b);
    (0..size)
        .map(|j| seed.wrapping_add((j as u8).wrapping_mul(7)))
        .collect()
}

fn server(end: &End, iters: u64) -> Result<(), String> {
    let err = |e: Error| e.to_string();
    end.post_recv().map_err(err)?;
    for i in 0..iters {
        end.wait(RECV_ID)?;
        end.check(&message(i, end.size))?;
        if i + 1 < iters {
            end.post_recv().map_err(err)?;
        }
        end.send(&message(!i, end.size)).map_err(err)?;
        end.wait(SEND_ID)?;
    }
    Ok(())
}

fn client(end: &End, iters: u64) -> Result<(), String> {
    let err = |e: Error| e.to_string();
    for i in 0..iters {
        end.post_recv().map_err(err)?;
        end.send(&message(i, end.size)).map_err(err)?;
        end.wait(SEND_ID)?;
        end.wait(RECV_ID)?;
        end.check(&message(!i, end.size))?;
    }
    Ok(())
}

fn run(size: u32, iters: u64) -> Result<(), String> {
    let device = SoftConfig::new("soft0")
        .probe_in(Registry::global())
        .map_err(|e| e.to_string())?;
    let setup = || -> Result<(End, End), Error> {
        let a = End::new(&device, size)?;
        let b = End::new(&device, size)?;
        a.qp.connect_rc(b.qp.qp_num(), AccessFlags::empty(), 7)?;
        b.qp.connect_rc(a.qp.qp_num(), AccessFlags::empty(), 7)?;
        Ok((a, b))
    };
    let (a, b) = setup().map_err(|e| e.to_string())?;
    println!("  local address:  {}", a.address(&device));
    println!("  remote address: {}", b.address(&device));
    let start = Instant::now();
    thread::scope(|s| {
        let srv = s.spawn(move || server(&b, iters));
        let cli = client(&a, iters);
        let srv = srv
            .join()
            .unwrap_or_else(|_| Err("the server thread panicked".to_owned()));
        cli.and(srv)
    })?;
    let secs = start.elapsed().as_secs_f64();
    let bytes = u64::from(size) * iters * 2;
    println!(
        "{bytes} bytes in {secs:.2} seconds = {:.2} Mbit/sec",
        bytes as f64 * 8.0 / secs / 1e6
    );
    println!(
        "{iters} iters in {secs:.2} seconds = {:.2} usec/iter",
        secs * 1e6 / iters as f64
    );
    println!("verified {} messages", iters * 2);
    Ok(())
}

fn main() -> ExitCode {
    let args = Command::new("pingpong")
        .about("RC ping-pong between two QPs of the soft device, like ibv_rc_pingpong")
        .arg(
            Arg::new("size")
                .short('s')
                .long("size")
                .value_parser(value_parser!(u32).range(1..))
                .default_value("4096")
                .help("Bytes per message"),
        )
        .arg(
            Arg::new("iters")
                .short('n')
                .long("iters")
                .value_parser(value_parser!(u64).range(1..))
                .default_value("1000")
                .help("Round trips"),
        )
        .get_matches();
    let size = args.get_one::<u32>("size").copied().unwrap_or(4096);
    let iters = args.get_one::<u64>("iters").copied().unwrap_or(1000);
    match run(size, iters) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pingpong: {e}");
            ExitCode::FAILURE
        }
    }
}
