//! What every binary (`tracker`, `peer`, `wallet`, `devnet`, `sim`) does the same way:
//! `--version`, and `--help` listing it.

use std::process::Command;

const BINS: [(&str, &str); 5] = [
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
