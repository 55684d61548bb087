//! The `wallet` command: create a key, show balances, and send coins through a running
//! peer.
//!
//! A wallet is a short-lived client: it connects to one peer, does the version
//! handshake, asks for account state (`GetAccount`) and submits signed transfers (`Tx`).
//! It blocks on its one socket, which is fine for a command that does one thing.

mod client;
mod coins;

pub use client::WALLET_TIMEOUT;
pub use coins::{format_coins, parse_coins};

use crate::chain::bech32m::encode_account;
use crate::chain::keys::{account_of, sign_transfer};
use crate::chain::{AccountId, Transaction, Transfer};
use crate::store::keyfile::{load_key, save_key};
use crate::wire::Message;
use argh::FromArgs;
use client::Client;
use std::path::PathBuf;

/// Manage cheesechain coins: create keys, show balances, send coins through a peer.
#[derive(FromArgs, Debug)]
pub struct WalletArgs {
    #[argh(subcommand)]
    /// what to do
    pub cmd: Option<WalletCmd>,

    /// print the name and version (`wallet X.Y.Z`), then exit
    #[argh(switch)]
    pub version: bool,
}

impl super::Versioned for WalletArgs {
    fn version_requested(&self) -> bool {
        self.version
    }
}

/// Wallet subcommands.
#[derive(FromArgs, Debug)]
#[argh(subcommand)]
pub enum WalletCmd {
    /// create a new key file
    New(NewArgs),
    /// print the account (public key) of a key file
    Address(AddressArgs),
    /// ask a peer for an account's balance
    Balance(BalanceArgs),
    /// send coins to another account through a peer
    Send(SendArgs),
}

/// Create a new key file (owner-only permissions) and print its checksummed account.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "new")]
pub struct NewArgs {
    /// where to write the key (refuses to overwrite)
    #[argh(option)]
    pub key: PathBuf,
}

/// Print the account of a key file, checksummed (cheese1...) unless --hex; a peer's
/// own key is DATA_DIR/node.key.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "address")]
pub struct AddressArgs {
    /// the key file
    #[argh(option)]
    pub key: PathBuf,
    /// print the raw form (66 hex digits) instead of the checksummed one
    #[argh(switch)]
    pub hex: bool,
}

/// Ask a running peer for the balance of an account.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "balance")]
pub struct BalanceArgs {
    /// the account (cheese1... or 66 hex digits); or use --key
    #[argh(option)]
    pub account: Option<String>,
    /// a key file whose account to show
    #[argh(option)]
    pub key: Option<PathBuf>,
    /// a running peer, HOST:PORT
    #[argh(option)]
    pub peer: String,
    /// network: main, devnet, testnet or regtest (default main)
    #[argh(option, default = "String::from(\"main\")")]
    pub network: String,
    /// block time of the devnet network, in seconds (default 5, as devnet uses)
    #[argh(option, default = "crate::chain::params::DEFAULT_DEVNET_BLOCK_TIME")]
    pub block_time: u32,
}

/// Sign a transfer with a key file and hand it to a running peer, which relays it to
/// the network; miners then include it in a block.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "send")]
pub struct SendArgs {
    /// the paying key file (e.g. a peer's DATA_DIR/node.key)
    #[argh(option)]
    pub key: PathBuf,
    /// the receiving account (cheese1... or 66 hex digits)
    #[argh(option)]
    pub to: String,
    /// coins to send, e.g. 1.5
    #[argh(option)]
    pub amount: String,
    /// fee for the miner in coins (default 0.0001)
    #[argh(option, default = "String::from(\"0.0001\")")]
    pub fee: String,
    /// a running peer, HOST:PORT
    #[argh(option)]
    pub peer: String,
    /// network: main, devnet, testnet or regtest (default main)
    #[argh(option, default = "String::from(\"main\")")]
    pub network: String,
    /// block time of the devnet network, in seconds (default 5, as devnet uses)
    #[argh(option, default = "crate::chain::params::DEFAULT_DEVNET_BLOCK_TIME")]
    pub block_time: u32,
}

fn parse_account(flag: &str, s: &str) -> Result<AccountId, String> {
    crate::chain::keys::parse_account(s).map_err(|e| format!("{flag} {s:?} is {e}"))
}

/// Runs a wallet subcommand, printing its result on stdout.
///
/// # Errors
/// A message for the user.
pub fn run(args: WalletArgs) -> Result<(), String> {
    let Some(cmd) = args.cmd else {
        return Err("give a command: new, address, balance or send (see wallet --help)".into());
    };
    match cmd {
        WalletCmd::New(a) => {
            if a.key.exists() {
                return Err(format!("{} exists; not overwriting a key", a.key.display()));
            }
            let sk = crate::chain::keys::generate_secret().map_err(|e| e.to_string())?;
            save_key(&a.key, &sk).map_err(|e| e.to_string())?;
            println!("{}", encode_account(&account_of(&sk)));
            Ok(())
        }
        WalletCmd::Address(a) => {
            let sk = load_key(&a.key).map_err(|e| e.to_string())?;
            if a.hex {
                println!("{}", account_of(&sk));
            } else {
                println!("{}", encode_account(&account_of(&sk)));
            }
            Ok(())
        }
        WalletCmd::Balance(a) => {
            let account = match (&a.account, &a.key) {
                (Some(s), None) => parse_account("--account", s)?,
                (None, Some(k)) => account_of(&load_key(k).map_err(|e| e.to_string())?),
                _ => return Err("give exactly one of --account or --key".into()),
            };
            let params = super::network_params(&a.network, a.block_time)?;
            let mut c = Client::connect(&a.peer, &params)?;
            let (balance, seq, height) = c.account(account)?;
            println!(
                "account {}\nhex {account}\nbalance {} coins\nnext sequence {seq}\nat height {height}",
                encode_account(&account),
                format_coins(balance)
            );
            Ok(())
        }
        WalletCmd::Send(a) => {
            let params = super::network_params(&a.network, a.block_time)?;
            let sk = load_key(&a.key).map_err(|e| e.to_string())?;
            let to = parse_account("--to", &a.to)?;
            let amount = parse_coins(&a.amount)
                .filter(|&v| v > 0)
                .ok_or_else(|| format!("--amount {:?} is not a positive coin amount", a.amount))?;
            let fee = parse_coins(&a.fee)
                .ok_or_else(|| format!("--fee {:?} is not a coin amount", a.fee))?;
            let from = account_of(&sk);
            let mut c = Client::connect(&a.peer, &params)?;
            let (balance, sequence, _) = c.account(from)?;
            let need = amount.checked_add(fee).ok_or("amount plus fee overflows")?;
            if balance < need {
                return Err(format!(
                    "balance {} is less than amount plus fee {}",
                    format_coins(balance),
                    format_coins(need)
                ));
            }
            let mut t = Transfer {
                sender: from,
                recipient: to,
                amount,
                fee,
                sequence,
                signature: [0; 64],
            };
            sign_transfer(&mut t, &sk, &params.network_id());
            let tx = Transaction::Transfer(t);
            let txid = tx.txid();
            c.send(&Message::Tx(Box::new(tx)))?;
            // The peer handles messages in order: a Reject for the transfer, if any,
            // comes before the answer to this query, which counts it once accepted.
            c.send(&Message::GetAccount { account: from })?;
            c.wait_for(|m| match m {
                Message::Reject { hash, reason, .. } if *hash == txid => {
                    Some(Err(format!("peer rejected the transfer: {reason}")))
                }
                Message::Account {
                    account,
                    next_sequence,
                    ..
                } if *account == from => Some(if *next_sequence > sequence {
                    Ok(())
                } else {
                    Err("peer did not accept the transfer".to_string())
                }),
                _ => None,
            })??;
            println!(
                "sent {} coins to {} (fee {}, sequence {sequence})\ntransaction {txid}",
                format_coins(amount),
                encode_account(&to),
                format_coins(fee)
            );
            Ok(())
        }
    }
}
