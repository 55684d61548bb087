//! The `sim` binary end to end: a small run prints its report, is reproducible with and
//! without the huge-page re-execution, and a bad flag is a clear error; an unwritable
//! `--svg` path fails before the run; a failed run still prints its report.

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

#[test]
fn sim_checks_the_svg_path_before_simulating() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-dir/cdf.svg");
    let out = sim(
        &["--nodes", "6", "--miners", "2", "--topology", "mesh"],
        None,
    );
    assert!(out.status.success(), "the run itself works");
    for path in [missing.to_str().unwrap(), tmp.path().to_str().unwrap()] {
        let out = sim(
            &[
                "--nodes",
                "6",
                "--miners",
                "2",
                "--topology",
                "mesh",
                "--svg",
                path,
            ],
            None,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
        assert!(stderr.contains("cannot write --svg"), "{stderr}");
        assert!(out.stdout.is_empty(), "it simulated before checking");
    }
    assert!(!missing.exists());

    // A writable path passes the check and gets the picture.
    let svg = tmp.path().join("cdf.svg");
    let svg_s = svg.to_str().unwrap();
    let out = sim(
        &[
            "--nodes",
            "6",
            "--miners",
            "2",
            "--topology",
            "mesh",
            "--svg",
            svg_s,
        ],
        None,
    );
    assert!(out.status.success());
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
}

#[test]
fn sim_prints_its_report_when_a_check_fails() {
    // A partition that outlasts the run: the halves never agree.
    let out = sim(
        &[
            "--nodes",
            "6",
            "--miners",
            "2",
            "--topology",
            "mesh",
            "--blocks",
            "10",
            "--block-interval",
            "10",
            "--partition",
            "0:100000",
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no convergence"), "{stderr}");
    assert!(
        stdout.contains("stale rate:") && stdout.contains("trace digest:"),
        "no report: {stdout}"
    );
}

#[test]
fn sim_takes_a_hash_share_list() {
    let out = sim(
        &[
            "--nodes",
            "8",
            "--hash-shares",
            "0.6,0.2,0.1,0.1",
            "--topology",
            "mesh",
            "--blocks",
            "10",
            "--json",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(json.contains("\"miners\": 4"), "{json}");
    for bad in ["0.5,-1", "0.5,,0.2", "x"] {
        let out = sim(&["--hash-shares", bad], None);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--hash-shares"), "{err}");
    }
}
