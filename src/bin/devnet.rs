//! `devnet`: a tracker and N peers on this machine in one command.
//!
//! `devnet tracker ...` and `devnet peer ...` run those roles from this same
//! executable; that is how devnet starts its children, so it needs no other binary.
//! `devnet release-lock LOCK PID` is the helper that removes the data directory's
//! lock once devnet is gone, also after Ctrl-C (see `cli::devnet`).
#![forbid(unsafe_code)]

use cheesechain::cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(|s| s.as_str()) {
        Some("peer") => {
            let a: cli::peer::PeerArgs = cli::parse_or_exit("devnet peer", &args[1..]);
            cli::init_logging();
            cli::finish("peer", cli::peer::run(a))
        }
        Some("tracker") => {
            let a: cli::tracker::TrackerArgs = cli::parse_or_exit("devnet tracker", &args[1..]);
            cli::init_logging();
            cli::finish("tracker", cli::tracker::run(a))
        }
        Some(cli::devnet::RELEASE_ROLE) => {
            cli::finish("devnet", cli::devnet::release_after_parent(&args[1..]))
        }
        _ => {
            let a: cli::devnet::DevnetArgs = cli::parse_or_exit("devnet", &args);
            cli::init_logging();
            cli::finish("devnet", cli::devnet::run(a))
        }
    }
}
