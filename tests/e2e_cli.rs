//! What every binary (`tracker`, `peer`, `wallet`, `devnet`, `sim`) does the same way:
//! `--version`, `--help` listing it, and parse errors that name the program and point
//! at `--help`.

mod support;

use std::process::Command;

const BINS: [(&str, &str); 6] = [
    ("cheese-cli", env!("CARGO_BIN_EXE_cheese-cli")),
    ("tracker", env!("CARGO_BIN_EXE_tracker")),
    ("peer", env!("CARGO_BIN_EXE_peer")),
    ("wallet", env!("CARGO_BIN_EXE_wallet")),
    ("devnet", env!("CARGO_BIN_EXE_devnet")),
    ("sim", env!("CARGO_BIN_EXE_sim")),
];

#[test]
fn version_prints_name_and_crate_version() {
    for (name, bin) in BINS {
        let out = Command::new(bin).arg("--version").output().unwrap();
        assert!(out.status.success(), "{name} --version failed");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{name} {}\n", env!("CARGO_PKG_VERSION")),
            "{name}"
        );
        assert!(out.stderr.is_empty(), "{name}: {:?}", out.stderr);
    }
}

#[test]
fn version_works_after_other_flags_and_help_lists_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_peer"))
        .args(["--network", "devnet", "--version"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("peer "));
    for (name, bin) in BINS {
        let out = Command::new(bin).arg("--help").output().unwrap();
        assert!(out.status.success(), "{name} --help failed");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("--version"), "{name} --help: {help}");
    }
}

#[test]
fn wallet_without_a_command_says_which_and_exits_1() {
    let out = Command::new(env!("CARGO_BIN_EXE_wallet")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.contains("new, address, balance or send"), "{stderr}");
}

/// Runs `bin args` and returns its exit code and stderr.
fn run(bin: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(bin).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn parse_errors_name_the_program_and_point_at_help() {
    for (name, bin) in BINS {
        let (code, stderr) = run(bin, &["--foo"]);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert_eq!(
            stderr,
            format!("{name}: unrecognized argument: --foo\nRun {name} --help for usage.\n")
        );
    }
    let (code, stderr) = run(env!("CARGO_BIN_EXE_peer"), &["--network"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "peer: no value provided for option '--network'.\nRun peer --help for usage.\n"
    );
    // argh's list of missing options becomes one line.
    let (code, stderr) = run(env!("CARGO_BIN_EXE_wallet"), &["send"]);
    assert_eq!(code, Some(2));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr:?}");
    assert!(
        lines[0].starts_with("wallet: required options not provided: --key, --to"),
        "{stderr}"
    );
    assert_eq!(lines[1], "Run wallet --help for usage.");
    let (_, stderr) = run(env!("CARGO_BIN_EXE_devnet"), &["peer", "--foo"]);
    assert_eq!(
        stderr,
        "devnet peer: unrecognized argument: --foo\nRun devnet peer --help for usage.\n"
    );
}

#[test]
fn peer_refuses_a_data_directory_of_another_network_and_touches_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("node");
    let mut first = support::process::peer(&dir, "none", &[]);
    let net_file = dir.join("network");
    support::process::wait_for(20, "the network file", || {
        std::fs::read_to_string(&net_file)
            .ok()
            .filter(|t| t.ends_with('\n'))
    });
    first.kill();
    let recorded = std::fs::read_to_string(&net_file).unwrap();
    assert!(
        recorded.starts_with(&format!("{} ", support::process::NET)),
        "{recorded:?}"
    );
    let snapshot = |name: &str| std::fs::read(dir.join(name)).ok();
    let before = ["node.key", "blocks.dat", "network"].map(snapshot);

    let dir_s = dir.display().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_peer"))
        .args(["--tracker", "none", "--listen", "127.0.0.1:0"])
        .args(["--data-dir", &dir_s, "--network", "regtest"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains(&format!("belongs to network {}", support::process::NET))
            && lines[0].contains("not regtest"),
        "{stderr}"
    );
    assert_eq!(["node.key", "blocks.dat", "network"].map(snapshot), before);
    assert!(!dir.join("network.tmp").exists());
}

#[test]
fn peer_benchmark_prints_a_hash_rate_for_every_supported_engine() {
    let mut engines = vec![None];
    engines.extend(["avx512", "sha-ni", "avx2", "scalar"].map(Some));
    for engine in engines {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_peer"));
        cmd.args(["--benchmark", "0.2"]);
        if let Some(e) = engine {
            cmd.args(["--miner-engine", e]);
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            // Only an engine this CPU lacks may refuse, with a one-line reason.
            assert!(engine.is_some(), "default engine failed: {stderr}");
            assert!(stderr.contains("not supported by this CPU"), "{stderr}");
            println!("engine {engine:?} skipped: {stderr}");
            continue;
        }
        let line = stdout.lines().next().unwrap_or_default();
        let rest = line
            .strip_prefix("mining benchmark: ")
            .unwrap_or_else(|| panic!("unexpected output {stdout:?}"));
        let (rate, tail) = rest
            .split_once(" MH/s (1 thread, ")
            .expect("rate and engine");
        assert!(rate.parse::<f64>().expect("a number") > 0.0, "{line}");
        let name = tail.strip_suffix(')').expect("closing parenthesis");
        if let Some(e) = engine {
            assert_eq!(name, e);
        }
    }
    let (code, stderr) = run(
        env!("CARGO_BIN_EXE_peer"),
        &["--benchmark", "1", "--miner-engine", "fast"],
    );
    assert_eq!(code, Some(1));
    assert!(stderr.contains("--miner-engine \"fast\""), "{stderr}");
}
