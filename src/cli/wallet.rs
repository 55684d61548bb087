//! The `wallet` command: create a key, show balances, and send coins through a running
//! peer.
//!
//! A wallet is a short-lived client: it connects to one peer, does the version
//! handshake, asks for account state (`GetAccount`) and submits signed transfers (`Tx`).
//! It blocks on its one socket, which is fine for a command that does one thing.

use crate::chain::keys::{account_of, sign_transfer};
use crate::chain::params::COIN;
use crate::chain::{AccountId, NetworkParams, Transaction, Transfer};
use crate::runtime::resolve;
use crate::store::keyfile::{load_key, save_key};
use crate::wire::{
    encode_frame, Decoded, FrameDecoder, Message, Version, MAX_PAYLOAD_LEN, PROTOCOL_VERSION,
};
use argh::FromArgs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long the wallet waits for a peer's answer.
pub const WALLET_TIMEOUT: Duration = Duration::from_secs(10);

/// Manage cheesechain coins: create keys, show balances, send coins through a peer.
#[derive(FromArgs, Debug)]
pub struct WalletArgs {
    #[argh(subcommand)]
    /// what to do
    pub cmd: WalletCmd,
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

/// Create a new key file (owner-only permissions) and print its account.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "new")]
pub struct NewArgs {
    /// where to write the key (refuses to overwrite)
    #[argh(option)]
    pub key: PathBuf,
}

/// Print the account (66 hex characters) of a key file; a peer's own key is
/// DATA_DIR/node.key.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "address")]
pub struct AddressArgs {
    /// the key file
    #[argh(option)]
    pub key: PathBuf,
}

/// Ask a running peer for the balance of an account.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "balance")]
pub struct BalanceArgs {
    /// the account (66 hex characters); or use --key
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
    /// the receiving account (66 hex characters)
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

/// Parses a coin amount with up to 8 decimals into base units.
pub fn parse_coins(s: &str) -> Option<u64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 8 {
        return None;
    }
    if !whole
        .bytes()
        .chain(frac.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let w: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let f: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<8}").parse().ok()?
    };
    w.checked_mul(COIN)?.checked_add(f)
}

/// Formats base units as coins with 8 decimals.
pub fn format_coins(units: u64) -> String {
    format!("{}.{:08}", units / COIN, units % COIN)
}

fn parse_account(s: &str) -> Result<AccountId, String> {
    AccountId::from_hex(s)
        .filter(|a| a.has_valid_prefix())
        .ok_or_else(|| format!("{s:?} is not an account (66 hex characters starting 02 or 03)"))
}

/// Runs a wallet subcommand, printing its result on stdout.
///
/// # Errors
/// A message for the user.
pub fn run(args: WalletArgs) -> Result<(), String> {
    match args.cmd {
        WalletCmd::New(a) => {
            if a.key.exists() {
                return Err(format!("{} exists; not overwriting a key", a.key.display()));
            }
            let sk = crate::chain::keys::generate_secret().map_err(|e| e.to_string())?;
            save_key(&a.key, &sk).map_err(|e| e.to_string())?;
            println!("{}", account_of(&sk));
            Ok(())
        }
        WalletCmd::Address(a) => {
            let sk = load_key(&a.key).map_err(|e| e.to_string())?;
            println!("{}", account_of(&sk));
            Ok(())
        }
        WalletCmd::Balance(a) => {
            let account = match (&a.account, &a.key) {
                (Some(s), None) => parse_account(s)?,
                (None, Some(k)) => account_of(&load_key(k).map_err(|e| e.to_string())?),
                _ => return Err("give exactly one of --account or --key".into()),
            };
            let params = super::network_params(&a.network, a.block_time)?;
            let mut c = Client::connect(&a.peer, &params)?;
            let (balance, seq, height) = c.account(account)?;
            println!(
                "account {account}\nbalance {} coins\nnext sequence {seq}\nat height {height}",
                format_coins(balance)
            );
            Ok(())
        }
        WalletCmd::Send(a) => {
            let params = super::network_params(&a.network, a.block_time)?;
            let sk = load_key(&a.key).map_err(|e| e.to_string())?;
            let to = parse_account(&a.to)?;
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
                "sent {} coins to {to} (fee {}, sequence {sequence})\ntransaction {txid}",
                format_coins(amount),
                format_coins(fee)
            );
            Ok(())
        }
    }
}

/// A blocking client connection to one peer.
struct Client {
    stream: TcpStream,
    magic: [u8; 4],
    decoder: FrameDecoder,
}

impl Client {
    fn connect(peer: &str, params: &NetworkParams) -> Result<Client, String> {
        let addr = resolve(peer)?;
        let stream = TcpStream::connect_timeout(&addr, WALLET_TIMEOUT)
            .map_err(|e| format!("cannot connect to peer {addr}: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .map_err(|e| e.to_string())?;
        let mut c = Client {
            stream,
            magic: params.magic,
            decoder: FrameDecoder::new(params.magic, MAX_PAYLOAD_LEN),
        };
        let mut nonce = [0u8; 8];
        if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
            let _ = f.read_exact(&mut nonce);
        }
        c.send(&Message::Version(Version {
            version: PROTOCOL_VERSION as u32,
            network_id: params.network_id(),
            nonce: u64::from_le_bytes(nonce),
            best_height: 0,
            listen_port: 0,
        }))?;
        c.wait_for(|m| match m {
            Message::Version(_) => Some(()),
            Message::Reject { reason, .. } => {
                eprintln!("wallet: peer refused the handshake: {reason}");
                None
            }
            _ => None,
        })?;
        c.send(&Message::Verack)?;
        Ok(c)
    }

    fn send(&mut self, m: &Message) -> Result<(), String> {
        self.stream
            .write_all(&encode_frame(self.magic, m))
            .map_err(|e| format!("cannot send to peer: {e}"))
    }

    /// Reads messages until `f` returns `Some`, answering pings, within the timeout.
    fn wait_for<T>(&mut self, mut f: impl FnMut(&Message) -> Option<T>) -> Result<T, String> {
        let deadline = Instant::now() + WALLET_TIMEOUT;
        let mut buf = [0u8; 64 * 1024];
        while Instant::now() < deadline {
            let n = match self.stream.read(&mut buf) {
                Ok(0) => return Err("peer closed the connection (wrong --network?)".into()),
                Ok(n) => n,
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut
                        || e.kind() == std::io::ErrorKind::Interrupted =>
                {
                    continue
                }
                Err(e) => return Err(format!("reading from peer: {e}")),
            };
            let mut input = &buf[..n];
            while let Some(d) = self
                .decoder
                .decode(&mut input)
                .map_err(|e| format!("bad data from peer: {e}"))?
            {
                if let Decoded::Message(m) = d {
                    if let Message::Ping { nonce } = m {
                        self.send(&Message::Pong { nonce })?;
                        continue;
                    }
                    if let Some(t) = f(&m) {
                        return Ok(t);
                    }
                }
            }
        }
        Err("timed out waiting for the peer".into())
    }

    fn account(&mut self, account: AccountId) -> Result<(u64, u64, u32), String> {
        self.send(&Message::GetAccount { account })?;
        self.wait_for(|m| match m {
            Message::Account {
                account: a,
                balance,
                next_sequence,
                height,
            } if *a == account => Some((*balance, *next_sequence, *height)),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coin_amounts_parse_and_format() {
        assert_eq!(parse_coins("1"), Some(COIN));
        assert_eq!(parse_coins("1.5"), Some(COIN + COIN / 2));
        assert_eq!(parse_coins("0.00000001"), Some(1));
        assert_eq!(parse_coins(".5"), Some(COIN / 2));
        assert_eq!(parse_coins("0.000000001"), None);
        assert_eq!(parse_coins("1e5"), None);
        assert_eq!(parse_coins(""), None);
        assert_eq!(parse_coins("."), None);
        assert_eq!(parse_coins("-1"), None);
        assert_eq!(parse_coins("999999999999999999"), None);
        assert_eq!(format_coins(COIN + 1), "1.00000001");
    }
}
