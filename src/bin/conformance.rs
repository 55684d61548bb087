//! `conformance`: grade a running tracker or peer against the specification.
#![forbid(unsafe_code)]

use cheesechain::cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: cli::conformance::ConformanceArgs = cli::parse_or_exit("conformance", &args);
    match cli::conformance::run(a) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("conformance: error: {e}");
            ExitCode::FAILURE
        }
    }
}
