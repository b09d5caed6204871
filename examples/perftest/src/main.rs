//! `ibops-perftest`: linux-rdma perftest on the soft reference provider.
//!
//! ```sh
//! cargo run --release -p ibops-perftest -- send_bw --roce-addr 127.0.0.2 &
//! cargo run --release -p ibops-perftest -- send_bw --roce-addr 127.0.0.3 127.0.0.1
//! cargo run --release -p ibops-perftest -- write_bw -a --in-process
//! cargo run --release -p ibops-perftest -- send_lat -s 8 --in-process
//! ```
//!
//! As perftest runs, `ibops-perftest TEST` is a server and
//! `ibops-perftest TEST HOST` a client naming it: each end is a soft
//! device on a RoCEv2 link, and they meet over TCP (the `remote` module).
//! With `--in-process` both sides run in this process, on two RC QPs of
//! one soft device without a link (the latency tests and `send_bw` use a
//! thread per side): the device's own speed. The tables are
//! perftest's; each bandwidth line also shows plain `memcpy` of the same
//! size in the same process and the ratio to it, since memcpy is the
//! physical limit of an in-process RDMA WRITE. `--limit` adds the
//! yardsticks of the `limit` module, measured in the same run: a minimal
//! lock-free loopback for message rates, a raw cross-core ping-pong for
//! latency.

mod bw;
mod end;
mod exchange;
mod idle;
mod lat;
mod limit;
mod options;
mod remote;
mod report;
mod udp;

use std::process::ExitCode;

use options::{Options, Test};

fn main() -> ExitCode {
    let options = match Options::parse() {
        Ok(options) => options,
        Err(e) => e.exit(),
    };
    let result = match options.test {
        _ if !options.in_process => remote::run(&options),
        Test::WriteBw | Test::ReadBw | Test::SendBw | Test::AtomicBw => bw::run(&options),
        Test::SendLat | Test::WriteLat | Test::ReadLat => lat::run(&options),
        // Refused with --in-process when the options are read.
        Test::UdpBw | Test::UdpLat => Err("udp_bw and udp_lat need two processes".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ibops-perftest: {e}");
            ExitCode::FAILURE
        }
    }
}
