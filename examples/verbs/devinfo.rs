//! `devinfo`: `ibv_devinfo` for the registry. Probes two soft devices (one
//! with every capability, one without SRQ, AH and atomics), then prints
//! each registered device as `ibv_devinfo` does: its names, its order, its
//! formats (`PORT_ACTIVE (4)`, `4096 (5)`, GUIDs as four groups), with
//! `-v` for every attribute the soft device has. Two additions: `--ops`
//! lists the ops each device implements, by group; `--stats` runs a small
//! RC workload on each device first and prints the calls, errors and time
//! of every op it used (counted by the dispatch's `trace` feature);
//! `--trace` prints each op call of that workload as a span, the way a
//! provider author would watch the dispatch: its events are at the TRACE
//! level on the target `ibops::stats`, which a subscriber must enable (see
//! [`trace_subscriber`]).
//!
//! ```sh
//! cargo run --example devinfo                 # like ibv_devinfo
//! cargo run --example devinfo -- -v -i 1      # every attribute, port 1
//! cargo run --example devinfo -- -l           # device names only
//! cargo run --example devinfo -- -d soft1 --ops --stats
//! cargo run --example devinfo -- -d soft1 --stats --trace
//! ```

use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use ibops::prelude::*;
use ibops::{OPS, OpInfo};
use ibops_soft::{Limits, SoftConfig};

fn probe() -> Result<(), Error> {
    let registry = Registry::global();
    SoftConfig::new("soft0").probe_in(registry)?;
    let mut minimal = SoftConfig::new("soft1");
    minimal.srq = false;
    minimal.ud = false;
    minimal.atomics = false;
    minimal.limits = Limits {
        max_qp: 64,
        max_cq: 64,
        ..Limits::DEFAULT
    };
    minimal.probe_in(registry)?;
    Ok(())
}

/// `ibv_devinfo`'s GUID form: four groups of four hex digits.
fn guid(g: u64) -> String {
    format!(
        "{:04x}:{:04x}:{:04x}:{:04x}",
        g >> 48,
        (g >> 32) & 0xffff,
        (g >> 16) & 0xffff,
        g & 0xffff
    )
}

/// A port state as `ibv_devinfo` prints it, with its number.
fn port_state(state: PortState) -> String {
    let (name, n) = match state {
        PortState::Nop => ("PORT_NOP", 0),
        PortState::Down => ("PORT_DOWN", 1),
        PortState::Init => ("PORT_INIT", 2),
        PortState::Armed => ("PORT_ARMED", 3),
        PortState::Active => ("PORT_ACTIVE", 4),
        PortState::ActiveDefer => ("PORT_ACTIVE_DEFER", 5),
    };
    format!("{name} ({n})")
}

/// An MTU in bytes with its enum value (`IBV_MTU_256` is 1).
fn mtu(m: Mtu) -> String {
    let n = match m {
        Mtu::Mtu256 => 1,
        Mtu::Mtu512 => 2,
        Mtu::Mtu1024 => 3,
        Mtu::Mtu2048 => 4,
        Mtu::Mtu4096 => 5,
    };
    format!("{} ({n})", m.bytes())
}

fn link_layer(l: LinkLayer) -> &'static str {
    match l {
        LinkLayer::Unspecified | LinkLayer::Infiniband => "InfiniBand",
        LinkLayer::Ethernet => "Ethernet",
    }
}

fn atomic_cap(a: AtomicCap) -> String {
    let (name, n) = match a {
        AtomicCap::None => ("ATOMIC_NONE", 0),
        AtomicCap::Hca => ("ATOMIC_HCA", 1),
        AtomicCap::Glob => ("ATOMIC_GLOB", 2),
    };
    format!("{name} ({n})")
}

fn width(w: u8) -> String {
    let x = match w {
        1 => "1",
        2 => "4",
        4 => "8",
        8 => "12",
        16 => "2",
        _ => "invalid width",
    };
    format!("{x}X ({w})")
}

fn speed(s: u8) -> String {
    let x = match s {
        1 => "2.5 Gbps",
        2 => "5.0 Gbps",
        4 | 8 => "10.0 Gbps",
        16 => "14.0 Gbps",
        32 => "25.0 Gbps",
        64 => "50.0 Gbps",
        _ => "invalid speed",
    };
    format!("{x} ({s})")
}

fn phys_state(p: u8) -> String {
    let x = match p {
        1 => "SLEEP",
        2 => "POLLING",
        3 => "DISABLED",
        4 => "PORT_CONFIGURATION TRAINNING",
        5 => "LINK_UP",
        6 => "LINK_ERROR_RECOVERY",
        7 => "PHY TEST",
        _ => "invalid physical state",
    };
    format!("{x} ({p})")
}

/// `name:` followed by tabs to `ibv_devinfo`'s value column.
fn row(indent: usize, name: &str, value: impl std::fmt::Display) {
    let label = format!("{name}:");
    let end = 8 * indent + label.len();
    let column: usize = if indent == 1 { 40 } else { 48 };
    let tabs = column.saturating_sub(end).div_ceil(8);
    println!(
        "{}{label}{}{value}",
        "\t".repeat(indent),
        "\t".repeat(tabs.max(1))
    );
}

fn print_device(dev: &Device, port_filter: Option<u8>, verbose: bool) -> Result<(), Error> {
    let attr = dev.query_device()?;
    println!("hca_id:\t{}", dev.name());
    row(1, "transport", "InfiniBand (0)");
    row(1, "fw_ver", dev.fw_version()?);
    row(1, "node_guid", guid(attr.sys_image_guid));
    row(1, "sys_image_guid", guid(attr.sys_image_guid));
    row(1, "vendor_id", format!("0x{:04x}", attr.vendor_id));
    row(1, "vendor_part_id", attr.vendor_part_id);
    row(1, "hw_ver", format!("0x{:X}", attr.hw_ver));
    row(1, "phys_port_cnt", attr.phys_port_cnt);
    if verbose {
        row(1, "max_mr_size", format!("0x{:x}", attr.max_mr_size));
        row(1, "page_size_cap", format!("0x{:x}", attr.page_size_cap));
        row(1, "max_qp", attr.max_qp);
        row(1, "max_qp_wr", attr.max_qp_wr);
        row(
            1,
            "device_cap_flags",
            format!("0x{:08x}", attr.device_cap_flags.bits()),
        );
        for (name, _) in attr.device_cap_flags.iter_names() {
            println!("\t\t\t\t\t{name}");
        }
        row(1, "max_sge", attr.max_send_sge);
        row(1, "max_cq", attr.max_cq);
        row(1, "max_cqe", attr.max_cqe);
        row(1, "max_mr", attr.max_mr);
        row(1, "max_pd", attr.max_pd);
        row(1, "max_qp_rd_atom", attr.max_qp_rd_atom);
        row(1, "max_qp_init_rd_atom", attr.max_qp_init_rd_atom);
        row(1, "atomic_cap", atomic_cap(attr.atomic_cap));
        row(1, "max_mw", attr.max_mw);
        row(1, "max_ah", attr.max_ah);
        row(1, "max_srq", attr.max_srq);
        if attr.max_srq > 0 {
            row(1, "max_srq_wr", attr.max_srq_wr);
            row(1, "max_srq_sge", attr.max_srq_sge);
        }
        row(1, "max_pkeys", attr.max_pkeys);
        row(1, "local_ca_ack_delay", attr.local_ca_ack_delay);
    }
    for port_num in 1..=dev.phys_port_cnt() {
        if port_filter.is_some_and(|p| p != port_num) {
            continue;
        }
        let port = dev.query_port(port_num)?;
        println!("\t\tport:\t{port_num}");
        row(3, "state", port_state(port.state));
        row(3, "max_mtu", mtu(port.max_mtu));
        row(3, "active_mtu", mtu(port.active_mtu));
        row(3, "sm_lid", port.sm_lid);
        row(3, "port_lid", port.lid);
        row(3, "port_lmc", format!("0x{:02x}", port.lmc));
        row(3, "link_layer", link_layer(port.link_layer));
        if verbose {
            row(3, "max_msg_sz", format!("0x{:x}", port.max_msg_sz));
            row(
                3,
                "port_cap_flags",
                format!("0x{:08x}", port.port_cap_flags.bits()),
            );
            row(3, "pkey_tbl_len", port.pkey_tbl_len);
            row(3, "gid_tbl_len", port.gid_tbl_len);
            row(3, "active_width", width(port.active_width));
            row(3, "active_speed", speed(port.active_speed));
            row(3, "phys_state", phys_state(port.phys_state));
            for index in 0..port.gid_tbl_len {
                let gid = dev.query_gid(port_num, index)?;
                row(3, &format!("GID[{index:3}]"), gid);
            }
        }
        println!();
    }
    Ok(())
}

/// The ops `dev` implements, by group (`*`: mandatory).
fn print_ops(dev: &Device) {
    let implemented: Vec<&OpInfo> = dev.ops().implemented().map(OpId::info).collect();
    println!("\tops ({} of {}):", implemented.len(), OPS.len());
    let mut groups: Vec<&str> = implemented.iter().map(|op| op.group).collect();
    groups.dedup();
    for group in groups {
        let names: Vec<String> = implemented
            .iter()
            .filter(|op| op.group == group)
            .map(|op| format!("{}{}", op.name, if op.mandatory { "*" } else { "" }))
            .collect();
        println!("\t\t{group:<9} {}", names.join(", "));
    }
    println!("\t\t(* mandatory)\n");
}

/// An RC pair sending `messages` 64-byte messages, every one checked.
fn workload(dev: &Device, messages: u32) -> Result<(), Error> {
    let pd = dev.alloc_pd()?;
    let cq = dev.create_cq(&CqInitAttr::new(256))?;
    let cap = QpCap::single_sge(64, 64);
    let a = pd.create_qp(&QpInitAttr::new(QpType::Rc, &cq, &cq, cap))?;
    let b = pd.create_qp(&QpInitAttr::new(QpType::Rc, &cq, &cq, cap))?;
    let access = AccessFlags::LOCAL_WRITE | AccessFlags::REMOTE_WRITE;
    a.connect_rc(b.qp_num(), access, 7)?;
    b.connect_rc(a.qp_num(), access, 7)?;
    let buf = Buffer::new(128)?;
    let mr = pd.reg_mr(&UserMemory::whole(&buf), AccessFlags::LOCAL_WRITE)?;
    let mut wc = [WorkCompletion::default(); 4];
    for i in 0..messages {
        buf.write(0, &[i as u8; 64])?;
        b.post_recv(&[RecvWr::new(1, [mr.sge(64, 64)?])])?;
        a.post_send(&[SendWr::new(2, WrOpcode::Send, [mr.sge(0, 64)?]).signaled()])?;
        let mut done = 0;
        while done < 2 {
            let n = cq.poll(&mut wc)?;
            if wc[..n].iter().any(|c| c.status != WcStatus::Success) {
                return Err(Error::InvalidState("a workload completion failed"));
            }
            done += n;
        }
    }
    // One op the soft device does not implement, to show an error count.
    let _ = dev.ops().query_port_speed(dev, 1);
    Ok(())
}

/// The per-op statistics of `dev`, like a perftest table.
fn print_stats(dev: &Device) {
    let stats = dev.op_stats();
    if stats.is_empty() {
        println!("\top statistics: none (ibops built without the `trace` feature)\n");
        return;
    }
    println!("\top statistics:");
    println!(
        "\t\t{:<22} {:>8} {:>7} {:>12} {:>10}",
        "op", "calls", "errors", "total [us]", "mean [ns]"
    );
    for s in &stats {
        println!(
            "\t\t{:<22} {:>8} {:>7} {:>12.1} {:>10}",
            s.op.name(),
            s.calls,
            s.errors,
            s.total.as_secs_f64() * 1e6,
            s.mean().as_nanos()
        );
    }
    println!();
}

fn args() -> ArgMatches {
    Command::new("devinfo")
        .about("Prints the attributes of the registered devices, like ibv_devinfo")
        .arg(
            Arg::new("device")
                .short('d')
                .long("ib-dev")
                .value_name("DEV")
                .help("use IB device DEV (default: all)"),
        )
        .arg(
            Arg::new("port")
                .short('i')
                .long("ib-port")
                .value_name("PORT")
                .value_parser(value_parser!(u8).range(1..))
                .help("use port PORT of the device (default: all ports)"),
        )
        .arg(
            Arg::new("list")
                .short('l')
                .long("list")
                .action(ArgAction::SetTrue)
                .help("print only the IB devices names"),
        )
        .arg(
            Arg::new("verbose")
                .short('v')
                .long("verbose")
                .action(ArgAction::SetTrue)
                .help("print all the attributes of the IB device(s)"),
        )
        .arg(
            Arg::new("ops")
                .long("ops")
                .action(ArgAction::SetTrue)
                .help("also list the ops each device implements"),
        )
        .arg(
            Arg::new("stats")
                .long("stats")
                .action(ArgAction::SetTrue)
                .help("run a small workload on each device and print its op statistics"),
        )
        .arg(
            Arg::new("trace")
                .long("trace")
                .action(ArgAction::SetTrue)
                .help("print each op call as a tracing span (target ibops::stats, level TRACE)"),
        )
        .get_matches()
}

/// A `tracing` subscriber that prints every op call of the dispatch: the
/// spans named `op` (fields `op` and `device`) with their `ok` or `failed`
/// events, on the target `ibops::stats` at the TRACE level (a default
/// subscriber, at INFO, shows none of them). Each span prints when it
/// closes, with its time.
fn trace_subscriber() {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::prelude::*;
    let ops = Targets::new().with_target("ibops::stats", LevelFilter::TRACE);
    let printer = tracing_subscriber::fmt::layer().with_span_events(FmtSpan::CLOSE);
    tracing_subscriber::registry()
        .with(printer.with_filter(ops))
        .init();
}

fn main() -> ExitCode {
    let args = args();
    if args.get_flag("trace") {
        trace_subscriber();
    }
    if let Err(e) = probe() {
        eprintln!("devinfo: probing the soft devices failed: {e}");
        return ExitCode::FAILURE;
    }
    let devices = Registry::global().devices();
    if args.get_flag("list") {
        let n = devices.len();
        println!("{n} HCA{} found:", if n == 1 { "" } else { "s" });
        for (_, dev) in &devices {
            println!("\t{}", dev.name());
        }
        println!();
        return ExitCode::SUCCESS;
    }
    let wanted = args.get_one::<String>("device");
    let port = args.get_one::<u8>("port").copied();
    let mut shown = 0;
    for (_, dev) in &devices {
        if wanted.is_some_and(|w| w != dev.name()) {
            continue;
        }
        if port.is_some_and(|p| p > dev.phys_port_cnt()) {
            eprintln!("Invalid port requested for device");
            return ExitCode::from(4);
        }
        let stats = args.get_flag("stats");
        let shown_ok = (!stats || workload(dev, 100).is_ok())
            && print_device(dev, port, args.get_flag("verbose")).is_ok();
        if !shown_ok {
            eprintln!("devinfo: {}: querying the device failed", dev.name());
            return ExitCode::FAILURE;
        }
        if args.get_flag("ops") {
            print_ops(dev);
        }
        if stats {
            print_stats(dev);
        }
        shown += 1;
    }
    if shown == 0 {
        eprintln!(
            "IB device '{}' wasn't found",
            wanted.map_or("", String::as_str)
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
