//! `peer`: a cheesechain node. Registers with a tracker, connects to peers, mines, relays.
#![forbid(unsafe_code)]

use cheesechain::cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: cli::peer::PeerArgs = cli::parse_or_exit("peer", &args);
    cli::init_logging();
    cli::finish("peer", cli::peer::run(a))
}
