//! `tracker`: keeps the live list of peers and tells them who joins and leaves.
#![forbid(unsafe_code)]

use cheesechain::cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: cli::tracker::TrackerArgs = cli::parse_or_exit("tracker", &args);
    cli::init_logging();
    cli::finish("tracker", cli::tracker::run(a))
}
