//! `devinfo`: `ibv_devinfo` for the registry. Probes two soft devices (one
//! with every capability, one without SRQ, AH and atomics), then lists
//! every registered device with its ports, limits and implemented ops.
//!
//! ```sh
//! cargo run --example devinfo            # everything
//! cargo run --example devinfo -- -l      # device names only
//! cargo run --example devinfo -- -d soft1
//! ```

use std::process::ExitCode;

use clap::{Arg, ArgAction, Command};
use ibops::prelude::*;
use ibops::soft::{Limits, SoftConfig};
use ibops::{OPS, OpInfo};

fn probe() -> Result<(), Error> {
    let registry = Registry::global();
    SoftConfig::new("soft0").probe_in(registry)?;
    let mut minimal = SoftConfig::new("soft1");
    minimal.srq = false;
    minimal.ud = false;
    minimal.atomics = false;
    minimal.guid = 0x0002_c903_0000_0002;
    minimal.limits = Limits {
        max_qp: 64,
        max_cq: 64,
        ..Limits::DEFAULT
    };
    minimal.probe_in(registry)?;
    Ok(())
}

fn guid(g: u64) -> String {
    let b = g.to_be_bytes();
    format!(
        "{:02x}{:02x}:{:02x}{:02x}:{:02x}{:02x}:{:02x}{:02x}",
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]
    )
}

fn print_device(index: u32, dev: &Device) -> Result<(), Error> {
    let attr = dev.query_device()?;
    println!("hca_id:\t{} (index {index})", dev.name());
    println!("\ttransport:\t\t\tInfiniBand (0)");
    println!("\tfw_ver:\t\t\t\t{}", dev.fw_version()?);
    println!("\tnode_guid:\t\t\t{}", guid(attr.sys_image_guid));
    println!("\tsys_image_guid:\t\t\t{}", guid(attr.sys_image_guid));
    println!("\tvendor_id:\t\t\t{:#06x}", attr.vendor_id);
    println!("\tvendor_part_id:\t\t\t{}", attr.vendor_part_id);
    println!("\thw_ver:\t\t\t\t{:#x}", attr.hw_ver);
    println!("\tphys_port_cnt:\t\t\t{}", attr.phys_port_cnt);
    for port_num in 1..=dev.phys_port_cnt() {
        let port = dev.query_port(port_num)?;
        println!("\t\tport:\t{port_num}");
        println!("\t\t\tstate:\t\t\t{:?}", port.state);
        println!("\t\t\tmax_mtu:\t\t{}", port.max_mtu.bytes());
        println!("\t\t\tactive_mtu:\t\t{}", port.active_mtu.bytes());
        println!("\t\t\tsm_lid:\t\t\t{}", port.sm_lid);
        println!("\t\t\tport_lid:\t\t{}", port.lid);
        println!("\t\t\tport_lmc:\t\t{:#04x}", port.lmc);
        println!("\t\t\tlink_layer:\t\t{:?}", port.link_layer);
        println!("\t\t\tGID[  0]:\t\t{}", dev.query_gid(port_num, 0)?);
    }
    println!("\tlimits:");
    let limits = [
        ("max_mr_size", attr.max_mr_size),
        ("max_qp", attr.max_qp.into()),
        ("max_qp_wr", attr.max_qp_wr.into()),
        ("max_sge", attr.max_send_sge.into()),
        ("max_cq", attr.max_cq.into()),
        ("max_cqe", attr.max_cqe.into()),
        ("max_mr", attr.max_mr.into()),
        ("max_pd", attr.max_pd.into()),
        ("max_qp_rd_atom", attr.max_qp_rd_atom.into()),
        ("max_ah", attr.max_ah.into()),
        ("max_srq", attr.max_srq.into()),
        ("max_srq_wr", attr.max_srq_wr.into()),
        ("max_pkeys", attr.max_pkeys.into()),
    ];
    for (name, value) in limits {
        println!("\t\t{:<24}{value}", format!("{name}:"));
    }
    println!("\t\tcapabilities:\t\t{:?}", attr.device_cap_flags);
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
    println!("\t\t(* mandatory)");
    Ok(())
}

fn main() -> ExitCode {
    let args = Command::new("devinfo")
        .about("Lists registered devices, ports, limits and ops, like ibv_devinfo")
        .arg(
            Arg::new("list")
                .short('l')
                .long("list")
                .action(ArgAction::SetTrue)
                .help("Print only the device names"),
        )
        .arg(
            Arg::new("device")
                .short('d')
                .long("ib-dev")
                .value_name("NAME")
                .help("Only this device"),
        )
        .get_matches();
    if let Err(e) = probe() {
        eprintln!("devinfo: probing the soft devices failed: {e}");
        return ExitCode::FAILURE;
    }
    let devices = Registry::global().devices();
    if args.get_flag("list") {
        println!("{} HCAs found:", devices.len());
        for (_, dev) in &devices {
            println!("\t{}", dev.name());
        }
        return ExitCode::SUCCESS;
    }
    let wanted = args.get_one::<String>("device");
    let mut shown = 0;
    for (index, dev) in &devices {
        if wanted.is_some_and(|w| w != dev.name()) {
            continue;
        }
        if let Err(e) = print_device(*index, dev) {
            eprintln!("devinfo: {}: {e}", dev.name());
            return ExitCode::FAILURE;
        }
        shown += 1;
    }
    if shown == 0 {
        eprintln!("devinfo: no device {}", wanted.map_or("", String::as_str));
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
