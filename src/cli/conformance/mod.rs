//! The `conformance` command: tests any tracker or peer implementation black-box over
//! TCP against the specification, one case per rule, and prints a graded report.
//!
//! Each case has an id (`wire.bad-magic`, `sync.locator`, ...) and the spec section it
//! checks; the list is in `spec/conformance.md`. Cases that need blocks mine them on the
//! suite's own copy of the target's chain, so they run on networks whose blocks take
//! moments (`regtest`, `testnet`) and are skipped elsewhere.

mod craft;
mod peer;
mod probe;
mod tracker;

use crate::chain::NetworkParams;
use crate::json::json_str;
use crate::runtime::resolve;
use argh::FromArgs;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Test a cheesechain tracker or peer, yours or ours, against the specification.
///
/// Prints one line per case, `PASS`, `FAIL` or `SKIP`, its id, the spec section it
/// checks and the reason, then `N passed, M failed, K skipped`. Exits 0 when nothing
/// failed, 1 otherwise. The target must be running and reachable; cases that craft
/// blocks need an easy network (regtest, testnet). Cases that send invalid data get the
/// suite's address banned by a conforming target: on loopback a ban covers one socket
/// address, so every case can run; elsewhere, cases after the first ban are skipped.
#[derive(FromArgs, Debug)]
pub struct ConformanceArgs {
    /// test the peer listening at HOST:PORT
    #[argh(option)]
    pub peer: Option<String>,

    /// test the tracker listening at HOST:PORT
    #[argh(option)]
    pub tracker: Option<String>,

    /// the target's network: main, devnet, testnet or regtest (default regtest)
    #[argh(option, default = "String::from(\"regtest\")")]
    pub network: String,

    /// block time of a devnet target, in seconds (default 5)
    #[argh(option, default = "crate::chain::params::DEFAULT_DEVNET_BLOCK_TIME")]
    pub block_time: u32,

    /// milliseconds to wait for each expected answer or close (default 5000)
    #[argh(option, default = "5000")]
    pub timeout_ms: u64,

    /// run only the cases whose id starts with this prefix (e.g. `consensus.`)
    #[argh(option)]
    pub only: Option<String>,

    /// print one JSON object instead of text
    #[argh(switch)]
    pub json: bool,

    /// list the cases (id, section, what it checks) and exit
    #[argh(switch)]
    pub list: bool,

    /// print the name and version (`conformance X.Y.Z`), then exit
    #[argh(switch)]
    pub version: bool,
}

impl super::Versioned for ConformanceArgs {
    fn version_requested(&self) -> bool {
        self.version
    }
}

/// The result of one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The target behaved as the spec says.
    Pass,
    /// It did not; the text says what happened instead.
    Fail(String),
    /// The case could not run here; the text says why.
    Skip(String),
}

/// A case: its id, the spec section it checks, one line on what it checks, and whether a
/// conforming target bans the suite's address for it.
pub(crate) struct Case<C> {
    pub(crate) id: &'static str,
    pub(crate) section: &'static str,
    pub(crate) what: &'static str,
    pub(crate) bans: bool,
    pub(crate) run: fn(&mut C) -> Outcome,
}

/// What a case body returns: `Err` carries the outcome of an early stop (a failure,
/// or a skip), so bodies can use `?` on every step.
pub(crate) type R = Result<Outcome, Outcome>;

/// A failure with its reason.
pub(crate) fn fail(s: impl Into<String>) -> Outcome {
    Outcome::Fail(s.into())
}

/// Runs a case body and folds its early stop into the outcome.
pub(crate) fn attempt(body: impl FnOnce() -> R) -> Outcome {
    body().unwrap_or_else(|o| o)
}

/// One graded line of the report.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The case id.
    pub id: &'static str,
    /// The spec section it checks.
    pub section: &'static str,
    /// What happened.
    pub outcome: Outcome,
    /// How long it took.
    pub millis: u128,
}

/// Shared settings of a run.
pub(crate) struct Target {
    pub(crate) addr: SocketAddr,
    pub(crate) params: NetworkParams,
    pub(crate) timeout: Duration,
    /// Set once a case that gets a conforming target to ban us has run against a
    /// non-loopback address: later connections are expected to be refused.
    pub(crate) maybe_banned: bool,
}

/// Runs `cases` in order; a case that fails to connect after a ban is a skip.
pub(crate) fn run_cases<C>(
    ctx: &mut C,
    target: impl Fn(&mut C) -> &mut Target,
    cases: &[Case<C>],
    only: Option<&str>,
) -> Vec<CaseResult> {
    let mut out = Vec::new();
    for c in cases {
        if only.is_some_and(|p| !c.id.starts_with(p)) {
            continue;
        }
        let start = Instant::now();
        let mut outcome = (c.run)(ctx);
        let t = target(ctx);
        if t.maybe_banned {
            if let Outcome::Fail(r) = &outcome {
                if r.starts_with("cannot connect") || r.contains("refused the handshake") {
                    outcome = Outcome::Skip(format!("{r} (banned by an earlier case?)"));
                }
            }
        }
        if c.bans && !t.addr.ip().is_loopback() {
            t.maybe_banned = true;
        }
        out.push(CaseResult {
            id: c.id,
            section: c.section,
            outcome,
            millis: start.elapsed().as_millis(),
        });
    }
    out
}

/// The text report: one line per case, then the totals.
pub fn text_report(results: &[CaseResult]) -> String {
    let mut s = String::new();
    for r in results {
        let (tag, why) = match &r.outcome {
            Outcome::Pass => ("PASS", String::new()),
            Outcome::Fail(w) => ("FAIL", format!(": {w}")),
            Outcome::Skip(w) => ("SKIP", format!(": {w}")),
        };
        let _ = writeln!(s, "{tag} {} ({}){why}", r.id, r.section);
    }
    let (p, f, k) = totals(results);
    let _ = writeln!(s, "{p} passed, {f} failed, {k} skipped");
    s
}

/// The JSON report: `{"target":…,"role":…,"network":…,"passed":…,"failed":…,
/// "skipped":…,"cases":[{"id","section","result","reason","ms"}]}`.
pub fn json_report(role: &str, target: &str, network: &str, results: &[CaseResult]) -> String {
    let (p, f, k) = totals(results);
    let mut s = format!(
        "{{\"role\":{},\"target\":{},\"network\":{},\"passed\":{p},\"failed\":{f},\"skipped\":{k},\"cases\":[",
        json_str(role),
        json_str(target),
        json_str(network)
    );
    for (i, r) in results.iter().enumerate() {
        let (tag, why) = match &r.outcome {
            Outcome::Pass => ("pass", ""),
            Outcome::Fail(w) => ("fail", w.as_str()),
            Outcome::Skip(w) => ("skip", w.as_str()),
        };
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            "{{\"id\":{},\"section\":{},\"result\":\"{tag}\",\"reason\":{},\"ms\":{}}}",
            json_str(r.id),
            json_str(r.section),
            json_str(why),
            r.millis
        );
    }
    s.push_str("]}");
    s
}

fn totals(results: &[CaseResult]) -> (usize, usize, usize) {
    let count = |f: fn(&Outcome) -> bool| results.iter().filter(|r| f(&r.outcome)).count();
    (
        count(|o| *o == Outcome::Pass),
        count(|o| matches!(o, Outcome::Fail(_))),
        count(|o| matches!(o, Outcome::Skip(_))),
    )
}

/// The case list as text: id, section, whether it bans, what it checks.
fn list_cases() -> String {
    let mut s = String::new();
    for (id, section, bans, what) in peer::describe().into_iter().chain(tracker::describe()) {
        let _ = writeln!(
            s,
            "{id:<32} {section:<22} {}{what}",
            if bans { "[bans] " } else { "" }
        );
    }
    s
}

/// Runs the command.
///
/// # Errors
/// Bad arguments (one line); a run with failed cases is `Ok(false)`.
pub fn run(a: ConformanceArgs) -> Result<bool, String> {
    if a.list {
        print!("{}", list_cases());
        return Ok(true);
    }
    let params = super::network_params(&a.network, a.block_time)?;
    let timeout = Duration::from_millis(a.timeout_ms.max(1));
    let (role, addr_text) = match (&a.peer, &a.tracker) {
        (Some(p), None) => ("peer", p),
        (None, Some(t)) => ("tracker", t),
        _ => return Err("give exactly one of --peer HOST:PORT and --tracker HOST:PORT".into()),
    };
    let addr = resolve(addr_text)?;
    let target = Target {
        addr,
        params,
        timeout,
        maybe_banned: false,
    };
    let only = a.only.as_deref();
    let results = if role == "peer" {
        peer::run(target, only)
    } else {
        tracker::run(target, only)
    };
    if a.json {
        println!("{}", json_report(role, addr_text, &a.network, &results));
    } else {
        print!("{}", text_report(&results));
    }
    Ok(!results
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Fail(_))))
}
