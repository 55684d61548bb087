//! `--trace`: the JSON-lines trace holds enough to redo the report's figures. Here the
//! stale count, the blocks that reached every node and the median time to half the
//! nodes are re-derived from the trace alone and compared with the report.

use cheesechain::sim::{Latency, Sim, SimConfig, Topology};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;

/// A writer the test keeps a handle on.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The value of `"key":` in a one-line JSON object written by the simulator.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    let k = format!("\"{key}\":");
    let at = line
        .find(&k)
        .unwrap_or_else(|| panic!("no {key} in {line}"))
        + k.len();
    let rest = &line[at..];
    let end = rest.find([',', '}']).expect("a value ends");
    rest[..end].trim_matches('"')
}

#[test]
fn the_trace_re_derives_the_report() {
    let mut c = SimConfig::new(3, 40, 8);
    c.topology = Topology::Tracker { outbound: 4 };
    c.latency = Latency::Uniform(200.0, 2000.0);
    c.block_interval = std::time::Duration::from_secs(20);
    c.blocks = 150;
    let plain = Sim::run(c.clone()).expect("run").digest_hex();
    let buf = Shared::default();
    let mut sim = Sim::new(c.clone()).expect("config");
    sim.set_trace(Box::new(buf.clone()));
    let report = sim.finish().expect("run");
    assert_eq!(report.digest_hex(), plain, "tracing changes nothing");
    assert!(report.totals.trace_error.is_none());
    let text = String::from_utf8(buf.0.borrow().clone()).expect("utf-8");
    let mut arrivals: HashMap<String, Vec<f64>> = HashMap::new();
    let (mut counted, mut stale, mut reach_all) = (0u64, 0u64, 0u64);
    let mut t50 = Vec::new();
    let blocks: Vec<&str> = text
        .lines()
        .filter(|l| field(l, "type") == "block")
        .collect();
    for l in text.lines().filter(|l| field(l, "type") == "arrival") {
        let from = field(l, "from");
        assert!(from == "null" || from.parse::<usize>().is_ok_and(|f| f < c.nodes));
        arrivals
            .entry(field(l, "block").to_string())
            .or_default()
            .push(field(l, "time_ms").parse().expect("a time"));
    }
    for b in &blocks {
        if field(b, "counted") != "true" {
            continue;
        }
        counted += 1;
        if field(b, "best") != "true" {
            stale += 1;
        }
        let mined: f64 = field(b, "mined_at_ms").parse().expect("a time");
        let mut times = arrivals.remove(field(b, "hash")).unwrap_or_default();
        times.sort_by(f64::total_cmp);
        // The miner has it at once; arrivals are the other nodes.
        if times.len() + 1 >= c.nodes {
            reach_all += 1;
        }
        let half = c.nodes.div_ceil(2);
        if half >= 2 && times.len() + 1 >= half {
            t50.push(times[half - 2] - mined);
        }
    }
    assert_eq!(counted, report.blocks);
    assert_eq!(stale, report.stale);
    assert!(stale > 0, "the setting makes some stale blocks");
    assert_eq!(reach_all, report.blocks_reaching_all);
    t50.sort_by(f64::total_cmp);
    let median = t50[(t50.len() as f64 * 0.5).ceil() as usize - 1];
    assert!(
        (median - report.t50_ms.0).abs() < 0.01,
        "t50 median {median} vs {}",
        report.t50_ms.0
    );
}
