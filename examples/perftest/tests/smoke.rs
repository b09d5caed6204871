//! Every test of `ibops-perftest` runs and prints perftest's header, or a
//! JSON line per size with the fields the tables have; a server and a
//! client in two processes run each test over RoCEv2 on loopback.

use std::process::Command;

/// Runs a test with both ends in this process (`--in-process`).
fn perftest(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ibops-perftest"))
        .args(args)
        .arg("--in-process")
        .output()
        .expect("run ibops-perftest");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const BW_HEADER: &str =
    " #bytes     #iterations    BW peak[MiB/sec]    BW average[MiB/sec]   MsgRate[Mpps]";
const LAT_HEADER: &str = " #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    t_avg[usec]    t_stdev[usec]   99% percentile[usec]   99.9% percentile[usec]";

#[test]
fn bandwidth_tests_print_perftest_tables() {
    for test in ["write_bw", "read_bw", "send_bw", "atomic_bw"] {
        let out = perftest(&[test, "-n", "300", "--post-list", "4"]);
        assert!(
            out.lines().any(|l| l.starts_with(BW_HEADER)),
            "{test}:\n{out}"
        );
        assert!(out.contains("local address: LID"), "{test}:\n{out}");
    }
}

#[test]
fn latency_tests_print_perftest_tables() {
    for test in ["send_lat", "write_lat", "read_lat"] {
        let out = perftest(&[test, "-n", "300", "-s", "64"]);
        assert!(
            out.lines().any(|l| l.starts_with(LAT_HEADER)),
            "{test}:\n{out}"
        );
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with("64 "))
            .unwrap_or_else(|| panic!("{test}: no result line\n{out}"));
        let numbers: Vec<f64> = line
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        assert_eq!(numbers.len(), 9, "{line}");
        let (min, max, typical) = (numbers[2], numbers[3], numbers[4]);
        assert!(min <= typical && typical <= max, "{line}");
    }
}

#[test]
fn json_has_one_line_per_size_with_a_memcpy_ratio() {
    let out = perftest(&["write_bw", "-a", "-n", "20", "--json"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 23, "2 B to 8 MiB:\n{out}");
    assert!(
        lines[0].starts_with("{\"test\":\"write_bw\",\"bytes\":2,"),
        "{}",
        lines[0]
    );
    assert!(lines[22].contains("\"bytes\":8388608,"), "{}", lines[22]);
    assert!(lines.iter().all(|l| l.contains("\"ratio_to_memcpy\":")));
}

#[test]
fn bad_options_are_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_ibops-perftest"))
        .args(["write_bw", "-s", "0"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let out = Command::new(env!("CARGO_BIN_EXE_ibops-perftest"))
        .arg("nope_bw")
        .output()
        .expect("run");
    assert!(!out.status.success());
}

#[test]
fn limit_lines_follow_the_soft_figures_with_a_ratio() {
    let out = perftest(&["write_bw", "-s", "8", "-n", "2000", "--limit", "--json"]);
    let limit = out
        .lines()
        .find(|l| l.contains("\"yardstick\":\"lock-free loopback WRITE\""))
        .unwrap_or_else(|| panic!("no limit line:\n{out}"));
    assert!(limit.contains("\"unit\":\"Mpps\"") && limit.contains("\"ratio\":"));
    let out = perftest(&[
        "send_bw",
        "-s",
        "8",
        "-n",
        "2000",
        "--post-list",
        "8",
        "--limit",
    ]);
    assert!(out.contains("lock-free loopback SEND"), "{out}");
    let out = perftest(&["send_lat", "-s", "8", "-n", "200", "--limit"]);
    assert!(out.contains("cross-core ping-pong (half)"), "{out}");
}

#[test]
fn several_qps_on_several_threads_count_every_message() {
    let out = perftest(&[
        "write_bw",
        "-s",
        "64",
        "-n",
        "1000",
        "-q",
        "3",
        "--threads",
        "2",
        "--json",
    ]);
    assert!(
        out.contains("\"iterations\":3000,"),
        "three QPs of 1000 each:\n{out}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_ibops-perftest"))
        .args(["send_bw", "-q", "2"])
        .output()
        .expect("run");
    assert!(!out.status.success(), "send_bw takes one QP");
}

/// Before the fix every test showed the bandwidth defaults (TX depth 128,
/// CQ moderation 100, no inline data); perftest's latency tests use a TX
/// depth of 1 and send small messages inline (236 bytes for SEND, 220 for
/// WRITE, none for READ).
#[test]
fn each_test_has_perftests_defaults() {
    for (test, depth, cq_mod, inline) in [
        ("send_lat", 1, 1, 236),
        ("write_lat", 1, 1, 220),
        ("read_lat", 1, 1, 0),
        ("send_bw", 128, 100, 0),
        ("write_bw", 128, 100, 0),
    ] {
        let out = perftest(&[test, "-n", "20"]);
        for line in [
            format!(" TX depth        : {depth}"),
            format!(" CQ Moderation   : {cq_mod}"),
            format!(" Max inline data : {inline}[B]"),
        ] {
            assert!(
                out.lines().any(|l| l == line),
                "{test}: no {line:?} in\n{out}"
            );
        }
    }
    let out = perftest(&["send_lat", "-n", "20", "-I", "0", "-t", "4"]);
    assert!(
        out.contains(" Max inline data : 0[B]") && out.contains(" TX depth        : 4"),
        "{out}"
    );
}

/// A server and a client of `test` in two processes, each soft device on
/// its own loopback address (`base`.2 and `base`.3), meeting on TCP `port`;
/// the client's output.
fn across_processes(test: &str, args: &[&str], port: u16, base: &str) -> String {
    let exe = env!("CARGO_BIN_EXE_ibops-perftest");
    let port = port.to_string();
    let (server_ip, client_ip) = (format!("{base}.2"), format!("{base}.3"));
    let common = |ip: &str| {
        let mut cmd = Command::new(exe);
        cmd.arg(test)
            .args(args)
            .args(["-p", &port, "--roce-addr", ip]);
        cmd
    };
    let server = common(&server_ip)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the server");
    let client = common(&client_ip)
        .arg("127.0.0.1")
        .output()
        .expect("run the client");
    let server = server.wait_with_output().expect("the server ends");
    assert!(
        client.status.success() && server.status.success(),
        "{test}: client {}, server {}",
        String::from_utf8_lossy(&client.stderr),
        String::from_utf8_lossy(&server.stderr)
    );
    String::from_utf8_lossy(&client.stdout).into_owned()
}

#[test]
fn every_test_runs_between_two_processes_over_roce() {
    let cases: [(&str, &[&str]); 7] = [
        ("send_bw", &["-s", "4096", "-n", "2000"]),
        ("write_bw", &["-s", "65536", "-n", "500"]),
        ("read_bw", &["-s", "65536", "-n", "500"]),
        ("atomic_bw", &["-n", "2000"]),
        ("send_lat", &["-s", "8", "-n", "500"]),
        ("write_lat", &["-s", "8", "-n", "500"]),
        ("read_lat", &["-s", "8", "-n", "500"]),
    ];
    for (k, (test, args)) in cases.iter().enumerate() {
        let out = across_processes(test, args, 18700 + k as u16, "127.0.88");
        let header = if test.ends_with("_lat") {
            LAT_HEADER
        } else {
            BW_HEADER
        };
        assert!(out.lines().any(|l| l.starts_with(header)), "{test}:\n{out}");
        assert!(out.contains("Data ex. method : Ethernet"), "{test}:\n{out}");
        assert!(
            out.contains("GID: 00:00:00:00:00:00:00:00:00:00:255:255:127:00:88:02"),
            "{test}:\n{out}"
        );
    }
}
