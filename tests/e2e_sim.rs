//! The `sim` binary end to end: a small run prints its report, is reproducible with and
//! without the huge-page re-execution, and a bad flag is a clear error.

use std::process::Command;

fn sim(args: &[&str], tunables: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sim"));
    cmd.args(args);
    match tunables {
        Some(t) => cmd.env("GLIBC_TUNABLES", t),
        None => cmd.env_remove("GLIBC_TUNABLES"),
    };
    cmd.output().expect("sim runs")
}

fn digest(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("trace digest: "))
        .unwrap_or_else(|| panic!("no digest in {text}"));
    line["trace digest: ".len()..].to_string()
}

#[test]
fn sim_binary_reports_and_is_reproducible() {
    let args = [
        "--nodes",
        "12",
        "--miners",
        "4",
        "--topology",
        "mesh",
        "--blocks",
        "20",
        "--seed",
        "5",
    ];
    // Default start (re-executes itself with huge pages on Linux) and a start with the
    // tunables given by the caller (no re-execution) print the same run.
    let a = sim(&args, None);
    let b = sim(&args, Some("glibc.malloc.hugetlb=0"));
    let text = String::from_utf8_lossy(&a.stdout);
    assert!(
        text.contains("stale rate:") && text.contains("events:"),
        "{text}"
    );
    assert_eq!(digest(&a), digest(&b));
    let mut other = args;
    other[9] = "6";
    assert_ne!(
        digest(&sim(&other, None)),
        digest(&a),
        "another seed, another run"
    );
}

#[test]
fn sim_binary_rejects_a_bad_flag_value() {
    let out = sim(&["--latency", "sometimes"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("latency"), "{err}");
}
