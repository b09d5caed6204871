//! `pingpong`: `ibv_rc_pingpong` on the soft device. Two RC QPs exchange
//! `-n` round trips of `-s` bytes; every message is checked byte for
//! byte, and the summary is printed as `ibv_rc_pingpong` prints it. Exits
//! 1 if any message is wrong or a completion fails.
//!
//! As `ibv_rc_pingpong` runs: `pingpong` is a server, `pingpong HOST` a
//! client naming it. Each creates a soft device with a RoCEv2 link on the
//! address its TCP connection uses (or `--roce-addr`), exchanges LID, QPN,
//! PSN and GID over TCP (port 18515, `-p`) in `ibv_rc_pingpong`'s format,
//! and connects its QP to the other's GID. Two ends on one host need
//! addresses of their own, as both bind UDP port 4791:
//!
//! ```sh
//! cargo run --release --example pingpong -- --roce-addr 127.0.0.2 &
//! cargo run --release --example pingpong -- --roce-addr 127.0.0.3 127.0.0.1
//! cargo run --release --example pingpong -- --in-process -s 4096 -n 1000
//! ```
//!
//! `--in-process` runs both QPs in this process, in two threads, on one
//! device without a link (the device's own speed). The other options are
//! `ibv_rc_pingpong`'s: `-d` (device name), `-i` (port), `-s`, `-n`, `-m`
//! (path MTU), `-r` (receives kept posted), `-l` (service level), `-e`
//! (sleep on completion events instead of polling), `-g` (GID index), `-o`
//! (on-demand paging, which the soft device refuses as a device without it
//! does) and `-c` (check the data: always on here).

mod exchange;

use std::cell::Cell;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use clap::{Arg, ArgAction, Command, value_parser};
use ibops::oob::OobChannel;
use ibops::prelude::*;
use ibops_soft::SoftConfig;

/// How long a client keeps trying to reach a server not listening yet.
const CONNECT_FOR: Duration = Duration::from_secs(10);
/// How long a completion may take before the run is declared stuck.
const TIMEOUT: Duration = Duration::from_secs(10);
const RECV_ID: u64 = 1;
const SEND_ID: u64 = 2;

/// The options of a run.
#[derive(Clone, Debug)]
struct Options {
    /// The server to connect to (a client), or `None` (a server).
    server: Option<String>,
    /// The TCP port of the exchange.
    tcp_port: u16,
    /// Both ends in this process.
    in_process: bool,
    /// The device's RoCEv2 address (default: the TCP connection's).
    roce_addr: Option<std::net::IpAddr>,
    device: String,
    port: u8,
    size: u32,
    iters: u64,
    mtu: Mtu,
    rx_depth: u32,
    sl: u8,
    events: bool,
    gid_index: Option<u32>,
    odp: bool,
}

/// One side: its QP, CQ and a buffer holding a send half and a receive half.
struct End {
    qp: Arc<Qp>,
    cq: Arc<Cq>,
    /// With `-e`: the channel the CQ's events arrive on.
    channel: Option<CompletionChannel>,
    buf: Buffer,
    mr: Arc<Mr>,
    size: u32,
    /// Completions polled while waiting for the other kind, by wr_id - 1:
    /// the peer's next message can arrive before our send completes.
    early: Cell<[u32; 2]>,
    /// Its first packet sequence number: random, as `ibv_rc_pingpong`'s
    /// `lrand48() & 0xffffff`.
    psn: u32,
    /// Whether an idle poll gives way to other threads: across processes
    /// the device's link has a receive thread that brings the completions.
    give_way: bool,
}

impl End {
    fn new(device: &Device, opts: &Options) -> Result<End, Error> {
        let size = opts.size;
        let pd = device.alloc_pd()?;
        let channel = opts.events.then(CompletionChannel::new);
        let cq = device.create_cq(&CqInitAttr {
            channel: channel.clone(),
            ..CqInitAttr::new(opts.rx_depth + 1)
        })?;
        let qp = pd.create_qp(&QpInitAttr::new(
            QpType::Rc,
            &cq,
            &cq,
            QpCap::single_sge(1, opts.rx_depth),
        ))?;
        let buf = Buffer::new(2 * size as usize)?;
        let mr = pd.reg_mr(&UserMemory::whole(&buf), AccessFlags::LOCAL_WRITE)?;
        Ok(End {
            qp,
            cq,
            channel,
            buf,
            mr,
            size,
            early: Cell::new([0; 2]),
            psn: ibops::oob::random_psn(),
            give_way: !opts.in_process,
        })
    }

    fn post_recv(&self) -> Result<(), Error> {
        let sge = self.mr.sge(u64::from(self.size), self.size)?;
        self.qp.post_recv(&[RecvWr::new(RECV_ID, [sge])])
    }

    fn send(&self, message: &[u8]) -> Result<(), Error> {
        self.buf.write(0, message)?;
        let sge = self.mr.sge(0, self.size)?;
        self.qp
            .post_send(&[SendWr::new(SEND_ID, WrOpcode::Send, [sge]).signaled()])
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
            if self.channel.is_some() {
                self.sleep_for_event()?;
            }
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
            if self.give_way {
                thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }

    /// With `-e`: arms the CQ and sleeps until its next completion event,
    /// unless a completion is already there.
    fn sleep_for_event(&self) -> Result<(), String> {
        let Some(channel) = &self.channel else {
            return Ok(());
        };
        self.cq
            .req_notify(CqNotifyFlags::NEXT_COMP)
            .map_err(|e| e.to_string())?;
        if self.cq.peek(1).map_err(|e| e.to_string())? == 0 && !channel.get_event(TIMEOUT) {
            return Err(format!("no completion event within {TIMEOUT:?}"));
        }
        Ok(())
    }

    /// Connects to `remote` (its QP number and first PSN) with the run's
    /// port, path MTU and service level, as `ibv_rc_pingpong` does.
    fn connect(&self, remote: &End, opts: &Options) -> Result<(), Error> {
        let (init, mask) = QpAttr::rc_init(opts.port, AccessFlags::empty());
        self.qp.modify(&init, mask)?;
        let (mut rtr, mask) = QpAttr::rc_rtr(remote.qp.qp_num(), opts.mtu, opts.port);
        rtr.ah_attr.sl = opts.sl;
        rtr.rq_psn = remote.psn;
        self.qp.modify(&rtr, mask)?;
        let (mut rts, mask) = QpAttr::rc_rts(7);
        rts.sq_psn = self.psn;
        self.qp.modify(&rts, mask)
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

    /// `ibv_rc_pingpong`'s address line: the GID is the one `-g` names,
    /// in IPv6 text form (`::` without `-g`, as it prints a zero GID).
    fn address(&self, gid: Option<Gid>) -> String {
        let gid = std::net::Ipv6Addr::from(gid.unwrap_or_default().0);
        format!(
            "LID 0x0001, QPN {:#08x}, PSN {:#08x}, GID {gid}",
            self.qp.qp_num(),
            self.psn
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

/// Posts the first `depth` receives (at most `iters`): `-r` keeps that many
/// posted, reposting one as each is consumed.
fn prefill(end: &End, depth: u32, iters: u64) -> Result<u64, String> {
    let n = u64::from(depth).min(iters);
    for _ in 0..n {
        end.post_recv().map_err(|e| e.to_string())?;
    }
    Ok(n)
}

fn server(end: &End, iters: u64, depth: u32) -> Result<(), String> {
    let err = |e: Error| e.to_string();
    let mut posted = prefill(end, depth, iters)?;
    for i in 0..iters {
        end.wait(RECV_ID)?;
        end.check(&message(i, end.size))?;
        if posted < iters {
            end.post_recv().map_err(err)?;
            posted += 1;
        }
        end.send(&message(!i, end.size)).map_err(err)?;
        end.wait(SEND_ID)?;
    }
    Ok(())
}

fn client(end: &End, iters: u64, depth: u32) -> Result<(), String> {
    let err = |e: Error| e.to_string();
    let mut posted = prefill(end, depth, iters)?;
    for i in 0..iters {
        end.send(&message(i, end.size)).map_err(err)?;
        end.wait(SEND_ID)?;
        end.wait(RECV_ID)?;
        end.check(&message(!i, end.size))?;
        if posted < iters {
            end.post_recv().map_err(err)?;
            posted += 1;
        }
    }
    Ok(())
}

fn run(opts: &Options) -> Result<(), String> {
    if opts.in_process {
        let device = SoftConfig::new(opts.device.clone())
            .probe_in(Registry::global())
            .map_err(|e| e.to_string())?;
        return run_in_process(&device, opts);
    }
    run_remote(opts)
}

/// One end of a run across processes: the TCP exchange, a device on the
/// RoCEv2 link, its QP connected to the other's.
fn run_remote(opts: &Options) -> Result<(), String> {
    let port = opts.tcp_port;
    let mut channel = match &opts.server {
        Some(host) => OobChannel::connect(host, port, CONNECT_FOR)
            .map_err(|e| format!("Couldn't connect to {host}:{port}: {e}"))?,
        None => {
            OobChannel::accept(port).map_err(|e| format!("Couldn't listen to port {port}: {e}"))?
        }
    };
    let io = |e: std::io::Error| format!("Couldn't exchange addresses: {e}");
    let ip = opts.roce_addr.unwrap_or(channel.local_ip);
    let mut config = SoftConfig::new(opts.device.clone());
    config.roce = Some(std::net::SocketAddr::new(ip, 0));
    let device = config
        .probe_in(Registry::global())
        .map_err(|e| e.to_string())?;
    let gid = check_port(&device, opts)?;
    let end = End::new(&device, opts).map_err(|e| e.to_string())?;
    let gid = gid.unwrap_or(device.query_gid(opts.port, 0).map_err(|e| e.to_string())?);
    println!("  local address:  {}", end.address(Some(gid)));
    let me = RcEndpoint {
        lid: 0,
        qpn: end.qp.qp_num(),
        psn: end.psn,
        gid,
    };
    let path = RcPath {
        port_num: opts.port,
        sgid_index: opts.gid_index.unwrap_or(0) as u8,
        mtu: opts.mtu,
        ..RcPath::default()
    };
    let connect = |remote: &RcEndpoint| end.qp.connect_to(end.psn, remote, &path);
    let remote = if opts.server.is_some() {
        channel.send(&exchange::encode(&me)).map_err(io)?;
        let remote = exchange::decode(&channel.receive::<{ exchange::MSG_BYTES }>().map_err(io)?)?;
        channel.send(b"done\0").map_err(io)?;
        connect(&remote).map_err(|e| format!("Couldn't connect to remote QP: {e}"))?;
        remote
    } else {
        let remote = exchange::decode(&channel.receive::<{ exchange::MSG_BYTES }>().map_err(io)?)?;
        connect(&remote).map_err(|e| format!("Couldn't connect to remote QP: {e}"))?;
        channel.send(&exchange::encode(&me)).map_err(io)?;
        channel.receive::<5>().map_err(io)?;
        remote
    };
    println!(
        "  remote address: LID {:#06x}, QPN {:#08x}, PSN {:#08x}, GID {}",
        remote.lid,
        remote.qpn,
        remote.psn,
        std::net::Ipv6Addr::from(remote.gid.0)
    );
    let start = Instant::now();
    match opts.server {
        Some(_) => client(&end, opts.iters, opts.rx_depth)?,
        None => server(&end, opts.iters, opts.rx_depth)?,
    }
    let secs = start.elapsed().as_secs_f64();
    // Neither end leaves before the other is done: the ACK of a message
    // may follow its receive completion, and a device that is gone sends
    // none (its peer's last send would end in RETRY_EXC_ERR).
    channel.swap(b"done\0").map_err(io)?;
    summary(opts, secs, opts.iters);
    Ok(())
}

/// Checks the port and the MTU against the device; the GID `-g` names.
fn check_port(device: &Device, opts: &Options) -> Result<Option<Gid>, String> {
    if opts.port == 0 || opts.port > device.phys_port_cnt() {
        return Err(format!("Couldn't get port info for port {}", opts.port));
    }
    if opts.odp {
        return Err("The device isn't ODP capable or does not support RC send".to_owned());
    }
    let gid = match opts.gid_index {
        Some(index) => Some(
            device
                .query_gid(opts.port, index)
                .map_err(|_| format!("can't read sgid of index {index}"))?,
        ),
        None => None,
    };
    let active = device.query_port(opts.port).map_err(|e| e.to_string())?;
    if opts.mtu.bytes() > active.active_mtu.bytes() {
        return Err(format!(
            "path MTU {} is above the port's active MTU {}",
            opts.mtu.bytes(),
            active.active_mtu.bytes()
        ));
    }
    Ok(gid)
}

/// Both ends in this process, on `device`, in two threads.
fn run_in_process(device: &Device, opts: &Options) -> Result<(), String> {
    let iters = opts.iters;
    let gid = check_port(device, opts)?;
    let setup = || -> Result<(End, End), Error> {
        let a = End::new(device, opts)?;
        let b = End::new(device, opts)?;
        a.connect(&b, opts)?;
        b.connect(&a, opts)?;
        Ok((a, b))
    };
    let (a, b) = setup().map_err(|e| e.to_string())?;
    println!("  local address:  {}", a.address(gid));
    println!("  remote address: {}", b.address(gid));
    let start = Instant::now();
    let depth = opts.rx_depth;
    thread::scope(|s| {
        let srv = s.spawn(move || server(&b, iters, depth));
        let cli = client(&a, iters, depth);
        let srv = srv
            .join()
            .unwrap_or_else(|_| Err("the server thread panicked".to_owned()));
        cli.and(srv)
    })?;
    summary(opts, start.elapsed().as_secs_f64(), iters * 2);
    Ok(())
}

/// `ibv_rc_pingpong`'s summary of a run of `secs`, and how many messages
/// this process checked.
fn summary(opts: &Options, secs: f64, verified: u64) {
    let iters = opts.iters;
    let bytes = u64::from(opts.size) * iters * 2;
    println!(
        "{bytes} bytes in {secs:.2} seconds = {:.2} Mbit/sec",
        bytes as f64 * 8.0 / secs / 1e6
    );
    println!(
        "{iters} iters in {secs:.2} seconds = {:.2} usec/iter",
        secs * 1e6 / iters as f64
    );
    println!("verified {verified} messages");
}

/// `-m`'s value as an MTU.
fn parse_mtu(text: &str) -> Result<Mtu, String> {
    match text {
        "256" => Ok(Mtu::Mtu256),
        "512" => Ok(Mtu::Mtu512),
        "1024" => Ok(Mtu::Mtu1024),
        "2048" => Ok(Mtu::Mtu2048),
        "4096" => Ok(Mtu::Mtu4096),
        _ => Err("the MTU is one of 256, 512, 1024, 2048, 4096".to_owned()),
    }
}

fn options() -> Options {
    let flag = |name: &'static str, short: char, help: &'static str| {
        Arg::new(name)
            .short(short)
            .long(name)
            .action(ArgAction::SetTrue)
            .help(help)
    };
    let args = Command::new("pingpong")
        .about("RC ping-pong over the soft device's RoCEv2 link, like ibv_rc_pingpong")
        .arg(
            Arg::new("ib-dev")
                .short('d')
                .long("ib-dev")
                .default_value("soft0")
                .help("use IB device <dev> (the soft device to create)"),
        )
        .arg(
            Arg::new("ib-port")
                .short('i')
                .long("ib-port")
                .value_parser(value_parser!(u8))
                .default_value("1")
                .help("use port <port> of IB device"),
        )
        .arg(
            Arg::new("size")
                .short('s')
                .long("size")
                .value_parser(value_parser!(u32).range(1..))
                .default_value("4096")
                .help("size of message to exchange"),
        )
        .arg(
            Arg::new("mtu")
                .short('m')
                .long("mtu")
                .value_parser(parse_mtu)
                .default_value("1024")
                .help("path MTU"),
        )
        .arg(
            Arg::new("rx-depth")
                .short('r')
                .long("rx-depth")
                .value_parser(value_parser!(u32).range(1..=16384))
                .default_value("500")
                .help("number of receives to post at a time"),
        )
        .arg(
            Arg::new("iters")
                .short('n')
                .long("iters")
                .value_parser(value_parser!(u64).range(1..))
                .default_value("1000")
                .help("number of exchanges"),
        )
        .arg(
            Arg::new("sl")
                .short('l')
                .long("sl")
                .value_parser(value_parser!(u8).range(0..16))
                .default_value("0")
                .help("service level value"),
        )
        .arg(flag("events", 'e', "sleep on CQ events"))
        .arg(
            Arg::new("gid-idx")
                .short('g')
                .long("gid-idx")
                .value_parser(value_parser!(u32))
                .help("local port gid index"),
        )
        .arg(flag("odp", 'o', "use on demand paging"))
        .arg(Arg::new("servername").help("connect to the server at <host> (none: be the server)"))
        .arg(
            Arg::new("port")
                .short('p')
                .long("port")
                .value_parser(value_parser!(u16))
                .default_value("18515")
                .help("listen on/connect to port <port>"),
        )
        .arg(flag("in-process", 'I', "run both ends in this process (no link)").short(None))
        .arg(
            Arg::new("roce-addr")
                .long("roce-addr")
                .value_parser(value_parser!(std::net::IpAddr))
                .help("the soft device's RoCEv2 address (default: the TCP connection's)"),
        )
        .arg(flag("chk", 'c', "validate received buffer (always on)"))
        .get_matches();
    Options {
        server: args.get_one::<String>("servername").cloned(),
        tcp_port: args.get_one::<u16>("port").copied().unwrap_or(18515),
        in_process: args.get_flag("in-process"),
        roce_addr: args.get_one::<std::net::IpAddr>("roce-addr").copied(),
        device: args
            .get_one::<String>("ib-dev")
            .cloned()
            .unwrap_or_default(),
        port: args.get_one::<u8>("ib-port").copied().unwrap_or(1),
        size: args.get_one::<u32>("size").copied().unwrap_or(4096),
        iters: args.get_one::<u64>("iters").copied().unwrap_or(1000),
        mtu: args.get_one::<Mtu>("mtu").copied().unwrap_or(Mtu::Mtu1024),
        rx_depth: args.get_one::<u32>("rx-depth").copied().unwrap_or(500),
        sl: args.get_one::<u8>("sl").copied().unwrap_or(0),
        events: args.get_flag("events"),
        gid_index: args.get_one::<u32>("gid-idx").copied(),
        odp: args.get_flag("odp"),
    }
}

fn main() -> ExitCode {
    match run(&options()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pingpong: {e}");
            ExitCode::FAILURE
        }
    }
}
