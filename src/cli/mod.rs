//! The command-line programs, as library functions so one executable can run another's
//! role (`devnet` starts `tracker` and `peer` roles from its own binary).

pub mod cheese_cli;
pub mod conformance;
pub mod devnet;
pub mod peer;
pub mod tracker;
pub mod wallet;

use crate::chain::NetworkParams;
use std::process::ExitCode;

/// The parameters of a network by name; `devnet` takes its block time.
///
/// # Errors
/// A message listing the known names.
pub fn network_params(name: &str, block_time: u32) -> Result<NetworkParams, String> {
    match name {
        "devnet" => Ok(NetworkParams::devnet(block_time)),
        n => NetworkParams::by_name(n).ok_or_else(|| {
            format!("unknown network {n:?} (expected main, devnet, testnet or regtest)")
        }),
    }
}

/// Initialises logging to stderr with `RUST_LOG`, `info` by default.
pub fn init_logging() {
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .try_init();
}

/// Top-level arguments of a program, with its `--version` switch (argh has no built-in
/// one; a declared switch is parsed like any other and listed by `--help`).
pub trait Versioned {
    /// True if `--version` was given.
    fn version_requested(&self) -> bool;
}

/// What `--version` prints: the command name and the crate version, e.g. `peer 0.1.0`.
pub fn version_line(cmd: &str) -> String {
    format!("{cmd} {}", env!("CARGO_PKG_VERSION"))
}

/// Parses `args` (without the program name) as `A` under the command name `cmd`,
/// printing help (exit 0) or the parse error (see [`usage_error`], exit 2); with
/// `--version`, prints [`version_line`] and exits 0.
pub fn parse_or_exit<A: argh::FromArgs + Versioned>(cmd: &str, args: &[String]) -> A {
    let strs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    match A::from_args(&[cmd], &strs) {
        Ok(a) if a.version_requested() => {
            println!("{}", version_line(cmd));
            std::process::exit(0);
        }
        Ok(a) => a,
        Err(e) => {
            if e.status.is_ok() {
                println!("{}", e.output);
                std::process::exit(0);
            }
            eprintln!("{}", usage_error(cmd, &e.output));
            std::process::exit(2);
        }
    }
}

/// An argh parse error as one line naming the program, then where to read more:
/// `peer: unrecognized argument: --foo` and `Run peer --help for usage.` (argh's
/// multi-line lists, such as the missing options, are joined into the line).
pub fn usage_error(cmd: &str, argh_output: &str) -> String {
    let mut line = String::new();
    for l in argh_output.lines().filter(|l| !l.trim().is_empty()) {
        let item = l.starts_with(char::is_whitespace);
        let t = l.trim();
        if !line.is_empty() {
            line.push_str(match (item, line.ends_with(':')) {
                (true, true) => " ",
                (true, false) => ", ",
                (false, _) => "; ",
            });
        }
        line.push_str(t);
    }
    let mut chars = line.chars();
    let line: String = match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => "bad arguments".into(),
    };
    format!("{cmd}: {line}\nRun {cmd} --help for usage.")
}

/// Turns a command result into an exit code, printing the error as `cmd: error: ...`.
pub fn finish(cmd: &str, r: Result<(), String>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{cmd}: error: {e}");
            ExitCode::FAILURE
        }
    }
}
