//! perftest's output: the banner, the bandwidth and latency tables (or
//! JSON lines), and the statistics behind them.

use crate::options::Options;

const RULE: &str =
    "---------------------------------------------------------------------------------------";

/// Who the banner names: the device, how the ends met, their addresses.
pub(crate) struct Banner<'a> {
    pub(crate) device: &'a str,
    /// perftest's `Data ex. method` (`Ethernet` for TCP, or in process).
    pub(crate) method: &'a str,
    /// The lines after `local address: ` and `remote address: `.
    pub(crate) local: String,
    pub(crate) remote: String,
}

/// The banner perftest prints before a table.
pub(crate) fn banner(options: &Options, b: &Banner<'_>) {
    if options.json {
        return;
    }
    println!("{RULE}");
    println!("                    {}", options.test.title());
    println!(" Dual-port       : OFF\t\tDevice         : {}", b.device);
    println!(" Number of qps   : {}\t\tTransport type : IB", options.qps);
    println!(" Connection type : RC\t\tUsing SRQ      : OFF");
    println!(" PCIe relax order: OFF\t\tibops soft device");
    println!(" TX depth        : {}", options.tx_depth);
    println!(" Post List       : {}", options.post_list);
    println!(" CQ Moderation   : {}", options.cq_mod);
    println!(" Mtu             : {}[B]", options.mtu.bytes());
    println!(" Link type       : IB");
    println!(" Max inline data : {}[B]", options.inline_size);
    println!(" rdma_cm QPs\t : OFF");
    println!(" Data ex. method : {}", b.method);
    println!("{RULE}");
    println!(" local address: {}", b.local);
    println!(" remote address: {}", b.remote);
    println!("{RULE}");
}

/// One bandwidth line.
pub(crate) struct BwLine {
    pub(crate) bytes: u64,
    pub(crate) iters: u64,
    pub(crate) peak_mib: f64,
    pub(crate) avg_mib: f64,
    pub(crate) mpps: f64,
    pub(crate) memcpy_mib: f64,
}

pub(crate) fn bw_header(options: &Options) {
    if !options.json {
        println!(
            " #bytes     #iterations    BW peak[MiB/sec]    BW average[MiB/sec]   MsgRate[Mpps]    memcpy[MiB/sec]   vs memcpy"
        );
    }
}

pub(crate) fn bw_line(options: &Options, l: &BwLine) {
    let ratio = l.avg_mib / l.memcpy_mib;
    if options.json {
        println!(
            "{{\"test\":\"{}\",\"bytes\":{},\"iterations\":{},\"bw_peak_mib\":{:.2},\"bw_avg_mib\":{:.2},\"msg_rate_mpps\":{:.6},\"memcpy_mib\":{:.2},\"ratio_to_memcpy\":{:.4}}}",
            options.test.name(),
            l.bytes,
            l.iters,
            l.peak_mib,
            l.avg_mib,
            l.mpps,
            l.memcpy_mib,
            ratio
        );
    } else {
        println!(
            " {:<10} {:<10}       {:<10.2}          {:<10.2}            {:<10.6}      {:<10.2}        {:.2}",
            l.bytes, l.iters, l.peak_mib, l.avg_mib, l.mpps, l.memcpy_mib, ratio
        );
    }
}

/// Per-iteration latencies, in microseconds, summarised as perftest does.
pub(crate) struct LatStats {
    pub(crate) min: f64,
    pub(crate) max: f64,
    /// The median (perftest's t_typical).
    pub(crate) typical: f64,
    pub(crate) avg: f64,
    pub(crate) stdev: f64,
    pub(crate) p99: f64,
    pub(crate) p999: f64,
}

impl LatStats {
    /// The statistics of `usec` (at least one sample).
    pub(crate) fn of(mut usec: Vec<f64>) -> LatStats {
        usec.sort_by(f64::total_cmp);
        let n = usec.len().max(1);
        let at = |q: f64| usec[((n as f64 * q).ceil() as usize).clamp(1, n) - 1];
        let avg = usec.iter().sum::<f64>() / n as f64;
        let var = usec.iter().map(|x| (x - avg) * (x - avg)).sum::<f64>() / n as f64;
        LatStats {
            min: usec.first().copied().unwrap_or_default(),
            max: usec.last().copied().unwrap_or_default(),
            typical: usec[(n - 1) / 2],
            avg,
            stdev: var.sqrt(),
            p99: at(0.99),
            p999: at(0.999),
        }
    }
}

pub(crate) fn lat_header(options: &Options) {
    if !options.json {
        println!(
            " #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    t_avg[usec]    t_stdev[usec]   99% percentile[usec]   99.9% percentile[usec] "
        );
    }
}

pub(crate) fn lat_line(options: &Options, bytes: u64, iters: u64, s: &LatStats) {
    if options.json {
        println!(
            "{{\"test\":\"{}\",\"bytes\":{bytes},\"iterations\":{iters},\"t_min_usec\":{:.3},\"t_max_usec\":{:.3},\"t_typical_usec\":{:.3},\"t_avg_usec\":{:.3},\"t_stdev_usec\":{:.3},\"p99_usec\":{:.3},\"p999_usec\":{:.3}}}",
            options.test.name(),
            s.min,
            s.max,
            s.typical,
            s.avg,
            s.stdev,
            s.p99,
            s.p999
        );
    } else {
        println!(
            " {bytes:<7} {iters:<10}     {:<7.2}        {:<7.2}      {:<7.2}            {:<7.2}        {:<7.2}         {:<7.2}                {:<7.2}",
            s.min, s.max, s.typical, s.avg, s.stdev, s.p99, s.p999
        );
    }
}

/// The soft device's figure next to the yardstick `what` measured in the
/// same run, in `unit`, and their ratio (for a rate, the fraction of the
/// limit reached; for a latency, how many times the limit it takes).
pub(crate) fn limit_line(options: &Options, what: &str, unit: &str, soft: f64, limit: f64) {
    let ratio = soft / limit.max(1e-12);
    if options.json {
        println!(
            "{{\"test\":\"{}\",\"yardstick\":\"{what}\",\"unit\":\"{unit}\",\"soft\":{soft:.6},\"limit\":{limit:.6},\"ratio\":{ratio:.4}}}",
            options.test.name()
        );
    } else {
        println!(
            " {what:<28} soft {soft:<12.4} limit {limit:<12.4} {unit:<7} soft/limit {ratio:.4}"
        );
    }
}

pub(crate) fn footer(options: &Options) {
    if !options.json {
        println!("{RULE}");
    }
}

/// Reports progress on standard error once a run has taken a few seconds.
pub(crate) struct Progress {
    start: std::time::Instant,
    total: usize,
}

impl Progress {
    pub(crate) fn new(total: usize) -> Progress {
        Progress {
            start: std::time::Instant::now(),
            total,
        }
    }

    /// After `done` of the sizes.
    pub(crate) fn tick(&self, done: usize, bytes: u64) {
        let elapsed = self.start.elapsed().as_secs_f64();
        if elapsed > 2.0 && done < self.total {
            eprintln!(
                "[{done}/{}] {bytes} bytes done, {elapsed:.1} s elapsed",
                self.total
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_statistics() {
        let s = LatStats::of((1..=1000).map(f64::from).collect());
        assert_eq!((s.min, s.max, s.typical), (1.0, 1000.0, 500.0));
        assert_eq!((s.p99, s.p999), (990.0, 999.0));
        assert!((s.avg - 500.5).abs() < 1e-9);
    }
}
