//! Command-line options, named as perftest names them.

use clap::{Arg, ArgAction, Command, value_parser};
use ibops::verbs::Mtu;

/// The test to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Test {
    WriteBw,
    ReadBw,
    SendBw,
    AtomicBw,
    SendLat,
    WriteLat,
    ReadLat,
    /// The raw UDP yardstick of the bandwidth tests.
    UdpBw,
    /// The raw UDP yardstick of the latency tests.
    UdpLat,
}

impl Test {
    const ALL: [(&'static str, Test); 9] = [
        ("write_bw", Test::WriteBw),
        ("read_bw", Test::ReadBw),
        ("send_bw", Test::SendBw),
        ("atomic_bw", Test::AtomicBw),
        ("send_lat", Test::SendLat),
        ("write_lat", Test::WriteLat),
        ("read_lat", Test::ReadLat),
        ("udp_bw", Test::UdpBw),
        ("udp_lat", Test::UdpLat),
    ];

    pub(crate) fn name(self) -> &'static str {
        Test::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("?", |(n, _)| n)
    }

    /// perftest's banner title.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Test::WriteBw => "RDMA_Write BW Test",
            Test::ReadBw => "RDMA_Read BW Test",
            Test::SendBw => "Send BW Test",
            Test::AtomicBw => "Atomic FETCH_AND_ADD BW Test",
            Test::SendLat => "Send Latency Test",
            Test::WriteLat => "RDMA_Write Latency Test",
            Test::ReadLat => "RDMA_Read Latency Test",
            Test::UdpBw => "raw UDP BW yardstick",
            Test::UdpLat => "raw UDP latency yardstick",
        }
    }

    pub(crate) fn is_latency(self) -> bool {
        matches!(
            self,
            Test::SendLat | Test::WriteLat | Test::ReadLat | Test::UdpLat
        )
    }
}

/// Parsed options.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) test: Test,
    /// Message sizes to run, in order.
    pub(crate) sizes: Vec<u64>,
    pub(crate) iters: u64,
    pub(crate) tx_depth: u32,
    pub(crate) post_list: u32,
    pub(crate) cq_mod: u32,
    /// `-I`: the inline data a send may carry; messages up to it go
    /// inline in the latency tests.
    pub(crate) inline_size: u32,
    pub(crate) json: bool,
    /// `send_bw`: the server's work in the client's thread.
    pub(crate) inline_receiver: bool,
    /// Also measure the yardsticks of the `limit` module and print the
    /// soft device's ratio to them.
    pub(crate) limit: bool,
    /// `-q`: queue pairs (bandwidth tests but `send_bw`).
    pub(crate) qps: u32,
    /// `--threads`: client threads the QPs are shared among.
    pub(crate) threads: u32,
    /// The server to connect to (a client), or `None` (a server).
    pub(crate) server: Option<String>,
    /// `-p`: the TCP port of the exchange.
    pub(crate) tcp_port: u16,
    /// Both ends in this process (no link).
    pub(crate) in_process: bool,
    /// `--roce-addr`: the device's RoCEv2 address (default: the TCP
    /// connection's).
    pub(crate) roce_addr: Option<std::net::IpAddr>,
    /// `-m`: the path MTU.
    pub(crate) mtu: ibops::verbs::Mtu,
    /// `-x`: the local GID index.
    pub(crate) gid_index: u32,
    /// `--burst`: `udp_bw` datagrams per ACK.
    pub(crate) burst: u32,
}

/// `-a`: every power of two from 2 bytes to 8 MiB.
const ALL_SIZES: std::ops::RangeInclusive<u32> = 1..=23;

impl Options {
    pub(crate) fn parse() -> Result<Options, clap::Error> {
        let names: Vec<&str> = Test::ALL.iter().map(|(n, _)| *n).collect();
        let matches = Command::new("ibops-perftest")
            .about("perftest on the ibops soft device: bandwidth and latency in perftest's format")
            .arg(
                Arg::new("test")
                    .required(true)
                    .value_parser(names)
                    .help("The test to run"),
            )
            .arg(
                Arg::new("size")
                    .short('s')
                    .long("size")
                    .value_parser(value_parser!(u64).range(1..=1 << 30))
                    .help("Message size in bytes (default 65536 for bandwidth, 2 for latency, 8 for atomics)"),
            )
            .arg(
                Arg::new("all")
                    .short('a')
                    .long("all")
                    .action(ArgAction::SetTrue)
                    .help("Run every size from 2 bytes to 8 MiB"),
            )
            .arg(
                Arg::new("iters")
                    .short('n')
                    .long("iters")
                    .value_parser(value_parser!(u64).range(2..))
                    .help("Iterations (default 5000 for bandwidth, 1000 for latency)"),
            )
            .arg(
                Arg::new("tx-depth")
                    .short('t')
                    .long("tx-depth")
                    .value_parser(value_parser!(u32).range(1..=8192))
                    .help("Send queue depth (default 128 for bandwidth, 1 for latency, as perftest's DEF_TX_BW and DEF_TX_LAT)"),
            )
            .arg(
                Arg::new("post-list")
                    .short('l')
                    .long("post-list")
                    .value_parser(value_parser!(u32).range(1..=1024))
                    .default_value("1")
                    .help("Work requests per post call"),
            )
            .arg(
                Arg::new("cq-mod")
                    .short('Q')
                    .long("cq-mod")
                    .value_parser(value_parser!(u32).range(1..=1024))
                    .help("Signal one work request in this many (default 100, at most the TX depth, as perftest)"),
            )
            .arg(
                Arg::new("inline_size")
                    .short('I')
                    .long("inline_size")
                    .value_parser(value_parser!(u32).range(0..=912))
                    .help("Bytes a send may carry inline (default as perftest: 236 for send_lat, 220 for write_lat, 0 otherwise)"),
            )
            .arg(
                Arg::new("inline-receiver")
                    .long("inline-receiver")
                    .action(ArgAction::SetTrue)
                    .help("send_bw: do the server's work in the client's thread (diagnostic)"),
            )
            .arg(
                Arg::new("qp")
                    .short('q')
                    .long("qp")
                    .value_parser(value_parser!(u32).range(1..=256))
                    .default_value("1")
                    .help("Number of QPs, each driven in turn (write_bw, read_bw, atomic_bw)"),
            )
            .arg(
                Arg::new("threads")
                    .long("threads")
                    .value_parser(value_parser!(u32).range(1..=64))
                    .default_value("1")
                    .help("Client threads the QPs are dealt out to (at most one per QP)"),
            )
            .arg(
                Arg::new("limit")
                    .long("limit")
                    .action(ArgAction::SetTrue)
                    .help("Also run the lock-free loopback limit (bandwidth) or the raw cross-core ping-pong (latency) in the same run, and print the ratio"),
            )
            .arg(
                Arg::new("server")
                    .help("Connect to the server at this host (none: be the server)"),
            )
            .arg(
                Arg::new("port")
                    .short('p')
                    .long("port")
                    .value_parser(value_parser!(u16))
                    .default_value("18515")
                    .help("Listen on/connect to this TCP port"),
            )
            .arg(
                Arg::new("in-process")
                    .long("in-process")
                    .action(ArgAction::SetTrue)
                    .help("Run both ends in this process, on one device without a link (the device's own speed)"),
            )
            .arg(
                Arg::new("roce-addr")
                    .long("roce-addr")
                    .value_parser(value_parser!(std::net::IpAddr))
                    .help("The soft device's RoCEv2 address (default: the TCP connection's)"),
            )
            .arg(
                Arg::new("mtu")
                    .short('m')
                    .long("mtu")
                    .value_parser(["256", "512", "1024", "2048", "4096"])
                    .default_value("4096")
                    .help("The path MTU (default the port's, 4096)"),
            )
            .arg(
                Arg::new("gid-index")
                    .short('x')
                    .short_alias('g')
                    .long("gid-index")
                    .value_parser(value_parser!(u32))
                    .default_value("0")
                    .help("The local GID index, as perftest's -x (also -g, as ibv_rc_pingpong's; the device's RoCEv2 address is index 0)"),
            )
            .arg(
                Arg::new("burst")
                    .long("burst")
                    .value_parser(value_parser!(u32).range(1..=1024))
                    .default_value("1")
                    .help("udp_bw: datagrams the server answers with one ACK (16 for a 64 KiB WRITE at MTU 4096)"),
            )
            .arg(
                Arg::new("json")
                    .long("json")
                    .action(ArgAction::SetTrue)
                    .help("One JSON object per line instead of the table"),
            )
            .try_get_matches()?;
        let name = matches.get_one::<String>("test").map_or("", String::as_str);
        let test = Test::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(Test::WriteBw, |(_, t)| *t);
        let default_size = match test {
            Test::AtomicBw => 8,
            t if t.is_latency() => 2,
            _ => 65536,
        };
        let sizes = if test == Test::AtomicBw {
            vec![8]
        } else if matches.get_flag("all") {
            ALL_SIZES.map(|p| 1u64 << p).collect()
        } else {
            vec![
                matches
                    .get_one::<u64>("size")
                    .copied()
                    .unwrap_or(default_size),
            ]
        };
        let get =
            |name: &str, default: u32| matches.get_one::<u32>(name).copied().unwrap_or(default);
        let default_iters = if test.is_latency() { 1000 } else { 5000 };
        let post_list = get("post-list", 1);
        // perftest's defaults: DEF_TX_LAT and DEF_TX_BW, DEF_CQ_MOD clamped
        // to the TX depth, and the inline sizes its latency tests pick
        // (DEF_INLINE_SEND_RC_UC, DEF_INLINE_WRITE; none for READ).
        let default_tx = if test.is_latency() { 1 } else { 128 };
        let tx_depth = get("tx-depth", default_tx).max(post_list);
        let default_inline = match test {
            Test::SendLat => 236,
            Test::WriteLat => 220,
            _ => 0,
        };
        let qps = get("qp", 1);
        let in_process = matches.get_flag("in-process");
        if !in_process
            && (qps > 1 || matches.get_flag("limit") || matches.get_flag("inline-receiver"))
        {
            return Err(clap::Error::raw(
                clap::error::ErrorKind::ArgumentConflict,
                "-q above 1, --limit and --inline-receiver run in process: add --in-process\n",
            ));
        }
        if qps > 1 && (test == Test::SendBw || test.is_latency()) {
            return Err(clap::Error::raw(
                clap::error::ErrorKind::ArgumentConflict,
                "-q above 1 is for write_bw, read_bw and atomic_bw\n",
            ));
        }
        Ok(Options {
            test,
            sizes,
            iters: matches
                .get_one::<u64>("iters")
                .copied()
                .unwrap_or(default_iters),
            tx_depth,
            post_list,
            cq_mod: get("cq-mod", 100).min(tx_depth),
            inline_size: get("inline_size", default_inline),
            json: matches.get_flag("json"),
            inline_receiver: matches.get_flag("inline-receiver"),
            limit: matches.get_flag("limit"),
            qps,
            threads: get("threads", 1).min(qps),
            server: matches.get_one::<String>("server").cloned(),
            tcp_port: matches.get_one::<u16>("port").copied().unwrap_or(18515),
            in_process: matches.get_flag("in-process"),
            roce_addr: matches.get_one::<std::net::IpAddr>("roce-addr").copied(),
            mtu: match matches.get_one::<String>("mtu").map(String::as_str) {
                Some("256") => Mtu::Mtu256,
                Some("512") => Mtu::Mtu512,
                Some("1024") => Mtu::Mtu1024,
                Some("2048") => Mtu::Mtu2048,
                _ => Mtu::Mtu4096,
            },
            gid_index: get("gid-index", 0),
            burst: get("burst", 1),
        })
    }
}
