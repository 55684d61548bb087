//! `cheese-cli`: query and control a running peer (the `bitcoin-cli` of cheesechain).
#![forbid(unsafe_code)]

use cheesechain::cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: cli::cheese_cli::CliArgs = cli::parse_or_exit("cheese-cli", &args);
    match cli::cheese_cli::run(a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cheese-cli: error: {e}");
            ExitCode::FAILURE
        }
    }
}
