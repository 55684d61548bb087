//! `devnet`: a tracker and N peers on this machine in one command.
//!
//! `devnet tracker ...` and `devnet peer ...` run those roles from this same
//! executable; that is how devnet starts its children, so it needs no other binary.
//! `devnet watch ...` is the worker that runs the network and its table under the
//! supervising `devnet`, and `devnet release-lock LOCK PID` the helper that removes
//! the data directory's lock once the worker is gone (see `cli::devnet`).
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
        Some(cli::devnet::WORKER_ROLE) => {
            let a: cli::devnet::DevnetArgs = cli::parse_or_exit("devnet", &args[1..]);
            cli::init_logging();
            cli::finish("devnet", cli::devnet::run(a, true))
        }
        _ => {
            // Parsed here too, so --help, --version and bad flags answer at once.
            let _: cli::devnet::DevnetArgs = cli::parse_or_exit("devnet", &args);
            cli::devnet::supervise(&args)
        }
    }
}
