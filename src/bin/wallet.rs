//! `wallet`: create keys, show balances, and send coins through a running peer.
#![forbid(unsafe_code)]

use cheesechain::cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: cli::wallet::WalletArgs = cli::parse_or_exit("wallet", &args);
    cli::init_logging();
    cli::finish("wallet", cli::wallet::run(a))
}
