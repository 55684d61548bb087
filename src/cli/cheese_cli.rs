//! The `cheese-cli` command: asks a running peer about its state over its control
//! socket (`--data-dir`) or its public peer port (`--peer`), and prints text or JSON.

use crate::chain::hash::Hash256;
use crate::chain::keys::parse_account;
use crate::chain::tx::AccountId;
use crate::chain::{NetworkParams, Transaction};
use crate::cli::wallet::format_coins;
use crate::runtime::resolve;
use crate::wire::{
    encode_frame, BlockData, BlockQuery, Decoded, FrameDecoder, Message, TxLocation, Version,
    MAX_PAYLOAD_LEN, PROTOCOL_VERSION,
};
use argh::FromArgs;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long cheese-cli waits for an answer (mine N may take a while on testnet).
pub const CLI_TIMEOUT: Duration = Duration::from_secs(120);

/// Asks a running cheesechain peer about its state. Commands: info, tips, block
/// HEIGHT|HASH, tx TXID, mempool, balance ACCOUNT, tree [--svg FILE] [--depth N]
/// (public: both modes; tree draws the block tree near the tip, default depth
/// 20 heights, as an SVG picture); peers, mine N [ACCOUNT] (to the node's own key unless it runs --no-mine),
/// connect HOST:PORT, disconnect HOST:PORT, stop (control socket only). JSON fields of
/// `info --json`: network, height, tip, tip_time, best_header_height, best_header,
/// bits, hash_rate, mining, peers_in, peers_out, mempool, mempool_bytes, data_dir.
#[derive(FromArgs, Debug)]
pub struct CliArgs {
    /// the peer's data directory: talk to its control socket DIR/control.sock
    #[argh(option)]
    pub data_dir: Option<PathBuf>,
    /// a peer's public address HOST:PORT (public queries only)
    #[argh(option)]
    pub peer: Option<String>,
    /// network of --peer: main, devnet, testnet or regtest (default main)
    #[argh(option, default = "String::from(\"main\")")]
    pub network: String,
    /// devnet block time in seconds (default 5)
    #[argh(option, default = "crate::chain::params::DEFAULT_DEVNET_BLOCK_TIME")]
    pub block_time: u32,
    /// print one JSON object instead of text
    #[argh(switch)]
    pub json: bool,
    /// print the name and version, then exit
    #[argh(switch)]
    pub version: bool,
    /// the command and its arguments
    #[argh(positional, greedy)]
    pub command: Vec<String>,
}

impl super::Versioned for CliArgs {
    fn version_requested(&self) -> bool {
        self.version
    }
}

enum Link {
    Unix(std::os::unix::net::UnixStream),
    Tcp(std::net::TcpStream),
}

struct Client {
    link: Link,
    magic: [u8; 4],
    decoder: FrameDecoder,
    pending: std::collections::VecDeque<Message>,
}

/// A message that answers one of the client's requests: a query or control answer, or
/// the `account` and transaction `inv` that `balance` and `mempool` ask for.
fn is_reply(m: &Message) -> bool {
    crate::node::query::is_answer(m)
        || matches!(m, Message::Account { .. })
        || matches!(m, Message::Inv { items } if items.iter().all(|i| i.kind == crate::wire::InvKind::Tx))
}

impl Client {
    fn send(&mut self, m: &Message) -> Result<(), String> {
        let f = encode_frame(self.magic, m);
        match &mut self.link {
            Link::Unix(s) => s.write_all(&f),
            Link::Tcp(s) => s.write_all(&f),
        }
        .map_err(|e| format!("cannot send to the node: {e}"))
    }

    /// The next message that answers something (pings are answered on the way).
    fn next(&mut self, want_handshake: bool) -> Result<Message, String> {
        let deadline = Instant::now() + CLI_TIMEOUT;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            if let Some(m) = self.pending.pop_front() {
                return Ok(m);
            }
            if Instant::now() > deadline {
                return Err("timed out waiting for the node".into());
            }
            let r = match &mut self.link {
                Link::Unix(s) => s.read(&mut buf),
                Link::Tcp(s) => s.read(&mut buf),
            };
            let n = match r {
                Ok(0) => return Err("the node closed the connection".into()),
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) =>
                {
                    continue
                }
                Err(e) => return Err(format!("reading from the node: {e}")),
            };
            let mut input = &buf[..n];
            while let Some(d) = self
                .decoder
                .decode(&mut input)
                .map_err(|e| format!("bad data from the node: {e}"))?
            {
                if let Decoded::Message(m) = d {
                    match m {
                        Message::Ping { nonce } => self.send(&Message::Pong { nonce })?,
                        m if want_handshake
                            && matches!(m, Message::Version(_) | Message::Reject { .. }) =>
                        {
                            self.pending.push_back(m)
                        }
                        m if !want_handshake && is_reply(&m) => self.pending.push_back(m),
                        _ => {}
                    }
                }
            }
        }
    }

    fn ask(&mut self, m: &Message) -> Result<Message, String> {
        self.send(m)?;
        match self.next(false)? {
            Message::QueryError { code, message, .. } => Err(format!("{code}: {message}")),
            m => Ok(m),
        }
    }
}

fn connect(args: &CliArgs) -> Result<Client, String> {
    let timeout = Some(Duration::from_millis(200));
    match (&args.data_dir, &args.peer) {
        (Some(dir), None) => {
            let file = dir.join(crate::store::netfile::NETWORK_FILE_NAME);
            let net = crate::store::netfile::read_network(&file)
                .ok()
                .flatten()
                .map(|n| n.name)
                .ok_or_else(|| format!("{} holds no peer data directory", dir.display()))?;
            let path = dir.join(crate::net::CONTROL_SOCKET_NAME);
            let s = std::os::unix::net::UnixStream::connect(&path).map_err(|e| {
                format!(
                    "cannot open the control socket {}: {e} (is the peer running?)",
                    path.display()
                )
            })?;
            s.set_read_timeout(timeout).map_err(|e| e.to_string())?;
            let params = if net.starts_with("devnet") {
                NetworkParams::devnet(args.block_time)
            } else {
                NetworkParams::by_name(&net)
                    .ok_or_else(|| format!("unknown network {net:?} in {}", dir.display()))?
            };
            Ok(Client {
                link: Link::Unix(s),
                magic: params.magic,
                decoder: FrameDecoder::new(params.magic, MAX_PAYLOAD_LEN),
                pending: Default::default(),
            })
        }
        (None, Some(peer)) => {
            let params = super::network_params(&args.network, args.block_time)?;
            let addr = resolve(peer)?;
            let s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(10))
                .map_err(|e| format!("cannot connect to peer {addr}: {e}"))?;
            s.set_read_timeout(timeout).map_err(|e| e.to_string())?;
            let mut c = Client {
                link: Link::Tcp(s),
                magic: params.magic,
                decoder: FrameDecoder::new(params.magic, MAX_PAYLOAD_LEN),
                pending: Default::default(),
            };
            c.send(&Message::Version(Version {
                version: PROTOCOL_VERSION as u32,
                network_id: params.network_id(),
                nonce: std::process::id() as u64 ^ crate::net::wall_clock().0,
                best_height: 0,
                listen_port: 0,
            }))?;
            match c.next(true)? {
                Message::Version(v) if v.network_id == params.network_id() => {}
                Message::Version(_) => {
                    return Err(format!("peer {addr} is not on network {}", params.name))
                }
                Message::Reject { reason, .. } => return Err(format!("peer refused: {reason}")),
                _ => return Err("unexpected handshake answer".into()),
            }
            c.send(&Message::Verack)?;
            Ok(c)
        }
        _ => Err("give exactly one of --data-dir DIR and --peer HOST:PORT".into()),
    }
}

fn hash_arg(s: &str) -> Result<Hash256, String> {
    Hash256::from_hex(s).ok_or_else(|| format!("{s:?} is not a 64-digit hex hash"))
}

fn arg<'a>(cmd: &'a [String], i: usize, what: &str) -> Result<&'a str, String> {
    cmd.get(i)
        .map(|s| s.as_str())
        .ok_or_else(|| format!("{} needs {what}", cmd[0]))
}

/// `n` and `noun`, with an `s` unless `n` is 1: "1 confirmation", "2 confirmations".
fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn tx_text(tx: &Transaction) -> (String, String) {
    match tx {
        Transaction::Coinbase(c) => (
            format!("coinbase {} coins to {}", format_coins(c.amount), c.recipient),
            format!("{{\"kind\":\"coinbase\",\"recipient\":\"{}\",\"amount\":{}}}", c.recipient, c.amount),
        ),
        Transaction::Transfer(t) => (
            format!(
                "transfer {} coins from {} to {} fee {} seq {}",
                format_coins(t.amount),
                t.sender,
                t.recipient,
                format_coins(t.fee),
                t.sequence
            ),
            format!(
                "{{\"kind\":\"transfer\",\"sender\":\"{}\",\"recipient\":\"{}\",\"amount\":{},\"fee\":{},\"sequence\":{}}}",
                t.sender, t.recipient, t.amount, t.fee, t.sequence
            ),
        ),
    }
}

/// Default `--depth` of `tree`: heights below the tip drawn.
pub const DEFAULT_TREE_DEPTH: u32 = 20;

/// Parses `tree`'s own flags: `--svg FILE` and `--depth N`.
fn tree_flags(rest: &[String]) -> Result<(Option<PathBuf>, u32), String> {
    let (mut svg, mut depth) = (None, DEFAULT_TREE_DEPTH);
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--svg" => svg = Some(PathBuf::from(it.next().ok_or("--svg needs a FILE")?)),
            "--depth" => {
                depth = it
                    .next()
                    .and_then(|d| d.parse().ok())
                    .ok_or("--depth needs a number of heights")?
            }
            other => {
                return Err(format!(
                    "tree takes --svg FILE and --depth N, not {other:?}"
                ))
            }
        }
    }
    Ok((svg, depth))
}

/// The first 8 hex digits of an account, a label short enough for a picture.
pub fn short_account(a: &AccountId) -> String {
    a.to_string().chars().take(8).collect()
}

/// The blocks of a `tree` answer for [`crate::tree_svg::render`], each miner named
/// by `label` (genesis is named `genesis`).
pub fn tree_blocks(
    t: &crate::wire::TreeInfo,
    label: &dyn Fn(&AccountId) -> String,
) -> Vec<crate::tree_svg::TreeBlock> {
    t.blocks
        .iter()
        .map(|e| crate::tree_svg::TreeBlock {
            hash: e.hash,
            parent: e.parent,
            height: e.height,
            // The genesis coinbase pays nobody who mines.
            miner: if e.height == 0 {
                Some("genesis".to_string())
            } else {
                t.miners.get(usize::from(e.miner)).map(label)
            },
            arrival: u64::from(e.arrival),
            active: e.status == crate::wire::ChainStatus::Active,
        })
        .collect()
}

/// Asks the node with data directory `dir` (its control socket) for its tree within
/// `depth` heights of the tip (`block_time`: of a devnet node).
///
/// # Errors
/// One line: no node there, or it did not answer.
pub fn fetch_tree(
    dir: &std::path::Path,
    depth: u32,
    block_time: u32,
) -> Result<crate::wire::TreeInfo, String> {
    let args = CliArgs {
        data_dir: Some(dir.to_path_buf()),
        peer: None,
        network: String::new(),
        block_time,
        json: false,
        version: false,
        command: Vec::new(),
    };
    let mut c = connect(&args)?;
    match c.ask(&Message::GetTree { depth })? {
        Message::Tree(t) => Ok(*t),
        _ => Err("unexpected answer to get-tree".into()),
    }
}

/// Runs one cheese-cli command.
///
/// # Errors
/// One line for the user.
pub fn run(args: CliArgs) -> Result<(), String> {
    let json_out = args.json || args.command.iter().any(|a| a == "--json");
    let cmd: Vec<String> = args
        .command
        .iter()
        .filter(|a| *a != "--json")
        .cloned()
        .collect();
    let Some(name) = cmd.first() else {
        return Err("no command given (try info)".into());
    };
    let privileged = matches!(
        name.as_str(),
        "peers" | "mine" | "connect" | "disconnect" | "stop"
    );
    if privileged && args.peer.is_some() {
        return Err(format!(
            "{name} is a control command: use --data-dir DIR, not --peer"
        ));
    }
    let mut c = connect(&args)?;
    let (text, json) = match name.as_str() {
        "info" => {
            let Message::Info(i) = c.ask(&Message::GetInfo)? else {
                return Err("unexpected answer".into());
            };
            let dir = args.data_dir.as_ref().map(|d| d.display().to_string());
            let text = format!(
                "network {}\nheight {}\ntip {}\nbest header {} {}\nbits {:08x}\nhash rate {} H/s\npeers {} in / {} out\nmempool {} txs, {} bytes{}",
                i.network, i.height, i.tip, i.best_header_height, i.best_header, i.bits, i.hash_rate,
                i.peers_in, i.peers_out, i.mempool_txs, i.mempool_bytes,
                dir.as_ref().map_or(String::new(), |d| format!("\ndata dir {d}"))
            );
            let json = format!(
                "{{\"network\":\"{}\",\"height\":{},\"tip\":\"{}\",\"tip_time\":{},\"best_header_height\":{},\"best_header\":\"{}\",\"bits\":\"{:08x}\",\"hash_rate\":{},\"mining\":{},\"peers_in\":{},\"peers_out\":{},\"mempool\":{},\"mempool_bytes\":{}{}}}",
                i.network, i.height, i.tip, i.tip_time, i.best_header_height, i.best_header, i.bits, i.hash_rate,
                i.mining, i.peers_in, i.peers_out, i.mempool_txs, i.mempool_bytes,
                dir.map_or(String::new(), |d| format!(",\"data_dir\":{}", crate::json::json_str(&d)))
            );
            (text, json)
        }
        "tips" => {
            let Message::Tips { total, tips } = c.ask(&Message::GetTips)? else {
                return Err("unexpected answer".into());
            };
            let text = tips
                .iter()
                .map(|t| {
                    format!(
                        "{} {} branch {} {}",
                        t.height,
                        t.hash,
                        t.branch_len,
                        t.status.name()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let items = tips
                .iter()
                .map(|t| {
                    format!(
                        "{{\"height\":{},\"hash\":\"{}\",\"branch_len\":{},\"status\":\"{}\"}}",
                        t.height,
                        t.hash,
                        t.branch_len,
                        t.status.name()
                    )
                })
                .collect::<Vec<_>>()
                .join(",");
            (text, format!("{{\"total\":{total},\"tips\":[{items}]}}"))
        }
        "block" => {
            let a = arg(&cmd, 1, "HEIGHT or HASH")?;
            let q = match a.parse::<u32>() {
                Ok(h) => BlockQuery::Height(h),
                Err(_) => BlockQuery::Hash(hash_arg(a)?),
            };
            let Message::BlockInfo(b) = c.ask(&Message::GetBlock(q))? else {
                return Err("unexpected answer".into());
            };
            let h = b.data.header();
            let (txs_t, txs_j): (Vec<String>, Vec<String>) = match &b.data {
                BlockData::Full(bl) => bl
                    .txs
                    .iter()
                    .map(|t| {
                        let (a, j) = tx_text(t);
                        (
                            format!("  {} {a}", t.txid()),
                            format!("{{\"txid\":\"{}\",\"tx\":{j}}}", t.txid()),
                        )
                    })
                    .unzip(),
                BlockData::Header(_) => (vec![], vec![]),
            };
            let miner = match &b.data {
                BlockData::Full(bl) => match bl.txs.first() {
                    Some(Transaction::Coinbase(cb)) => cb.recipient.to_string(),
                    _ => String::new(),
                },
                _ => String::new(),
            };
            (
                format!("block {} height {} {} confirmations {}\nprev {}\ntime {} bits {:08x} nonce {}\nminer {miner}\n{}", h.hash(), b.height, b.status.name(), b.confirmations, h.prev, h.time, h.bits, h.nonce, txs_t.join("\n")),
                format!("{{\"hash\":\"{}\",\"height\":{},\"status\":\"{}\",\"confirmations\":{},\"prev\":\"{}\",\"time\":{},\"bits\":\"{:08x}\",\"nonce\":{},\"miner\":\"{miner}\",\"txs\":[{}]}}", h.hash(), b.height, b.status.name(), b.confirmations, h.prev, h.time, h.bits, h.nonce, txs_j.join(",")),
            )
        }
        "tx" => {
            let txid = hash_arg(arg(&cmd, 1, "TXID")?)?;
            let Message::TxInfo(t) = c.ask(&Message::GetTx { txid })? else {
                return Err("unexpected answer".into());
            };
            let (tt, tj) = tx_text(&t.tx);
            let (lt, lj) = match t.location {
                TxLocation::Mempool => ("in the mempool".to_string(), "\"location\":\"mempool\"".to_string()),
                TxLocation::Block { hash, height, confirmations } => (
                    format!("in block {hash} at height {height}, {}", plural(u64::from(confirmations), "confirmation")),
                    format!("\"location\":\"block\",\"block\":\"{hash}\",\"height\":{height},\"confirmations\":{confirmations}"),
                ),
            };
            (
                format!("{txid} {lt}\n{tt}"),
                format!("{{\"txid\":\"{txid}\",{lj},\"tx\":{tj}}}"),
            )
        }
        "mempool" => {
            c.send(&Message::Mempool)?;
            let mut ids = Vec::new();
            c.send(&Message::GetInfo)?;
            loop {
                match c.next(false)? {
                    Message::Inv { items } => ids.extend(items.into_iter().map(|i| i.hash)),
                    Message::Info(_) => break,
                    _ => {}
                }
            }
            let list = ids
                .iter()
                .map(|h| format!("\"{h}\""))
                .collect::<Vec<_>>()
                .join(",");
            (
                format!(
                    "{}\n{}",
                    plural(ids.len() as u64, "transaction"),
                    ids.iter()
                        .map(|h| h.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                ),
                format!("{{\"size\":{},\"txids\":[{list}]}}", ids.len()),
            )
        }
        "balance" => {
            let a = arg(&cmd, 1, "ACCOUNT")?;
            let account = parse_account(a).map_err(|e| format!("{a:?} is {e}"))?;
            let Message::Account {
                balance,
                next_sequence,
                height,
                ..
            } = c.ask(&Message::GetAccount { account })?
            else {
                return Err("unexpected answer".into());
            };
            (format!("balance {} coins at height {height}, next sequence {next_sequence}", format_coins(balance)), format!("{{\"account\":\"{account}\",\"balance\":{balance},\"next_sequence\":{next_sequence},\"height\":{height}}}"))
        }
        "peers" => {
            let Message::PeerInfo { peers } = c.ask(&Message::GetPeerInfo)? else {
                return Err("unexpected answer".into());
            };
            let t = peers
                .iter()
                .map(|p| {
                    format!(
                        "{} {} {} height {} ping {} bytes in {} out {} since {}",
                        p.addr,
                        if p.inbound { "in" } else { "out" },
                        if p.ready { "ready" } else { "handshaking" },
                        p.best_height,
                        p.ping_ms,
                        p.bytes_in,
                        p.bytes_out,
                        p.connected_since
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let j = peers.iter().map(|p| format!("{{\"addr\":\"{}\",\"listen_port\":{},\"direction\":\"{}\",\"ready\":{},\"best_height\":{},\"ping_ms\":{},\"bytes_in\":{},\"bytes_out\":{},\"connected_since_ms\":{}}}", p.addr, p.listen_port, if p.inbound { "in" } else { "out" }, p.ready, p.best_height, p.ping_ms, p.bytes_in, p.bytes_out, p.connected_since)).collect::<Vec<_>>().join(",");
            (t, format!("{{\"peers\":[{j}]}}"))
        }
        "mine" => {
            let n: u32 = arg(&cmd, 1, "N")?
                .parse()
                .map_err(|_| "mine N takes a number".to_string())?;
            let account = match cmd.get(2) {
                Some(a) => parse_account(a).map_err(|e| format!("{a:?} is {e}"))?,
                None => AccountId([0; 33]),
            };
            let Message::Mined { height, hashes } = c.ask(&Message::Mine { blocks: n, account })?
            else {
                return Err("unexpected answer".into());
            };
            let list = hashes
                .iter()
                .map(|h| format!("\"{h}\""))
                .collect::<Vec<_>>()
                .join(",");
            (
                format!(
                    "mined {}, height {height}\n{}",
                    plural(hashes.len() as u64, "block"),
                    hashes
                        .iter()
                        .map(|h| h.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                ),
                format!("{{\"height\":{height},\"blocks\":[{list}]}}"),
            )
        }
        "connect" | "disconnect" | "stop" => {
            let m = match name.as_str() {
                "stop" => Message::Stop,
                n => {
                    let addr = resolve(arg(&cmd, 1, "HOST:PORT")?)?;
                    if n == "connect" {
                        Message::ConnectPeer { addr }
                    } else {
                        Message::DisconnectPeer { addr }
                    }
                }
            };
            let Message::Done { message, .. } = c.ask(&m)? else {
                return Err("unexpected answer".into());
            };
            (
                message.clone(),
                format!("{{\"done\":\"{}\"}}", message.replace('"', "'")),
            )
        }
        "tree" => {
            let (svg, depth) = tree_flags(&cmd[1..])?;
            let Message::Tree(t) = c.ask(&Message::GetTree { depth })? else {
                return Err("unexpected answer".into());
            };
            let blocks = tree_blocks(&t, &|a| short_account(a));
            let stale = crate::tree_svg::stale_count(&blocks);
            let mut text = String::new();
            if let Some(path) = &svg {
                let title = match (&args.data_dir, &args.peer) {
                    (Some(d), _) => format!("Block tree of the node in {}", d.display()),
                    (_, Some(p)) => format!("Block tree of peer {p}"),
                    _ => "Block tree".to_string(),
                };
                std::fs::write(path, crate::tree_svg::render(&blocks, &title))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                text = format!(
                    "wrote {}: {} blocks, {stale} stale, tip at height {}\n",
                    path.display(),
                    blocks.len(),
                    t.tip_height
                );
            }
            let list = t
                .blocks
                .iter()
                .zip(&blocks)
                .map(|(e, b)| {
                    format!(
                        "{} {} {} parent {} miner {} arrival {}",
                        e.height,
                        e.hash,
                        e.status.name(),
                        e.parent.short(),
                        b.miner.as_deref().unwrap_or("-"),
                        e.arrival
                    )
                })
                .collect::<Vec<_>>();
            text.push_str(&list.join("\n"));
            let items = t
                .blocks
                .iter()
                .map(|e| {
                    format!(
                        "{{\"hash\":\"{}\",\"parent\":\"{}\",\"height\":{},\"arrival\":{},\"status\":\"{}\",\"miner\":{}}}",
                        e.hash,
                        e.parent,
                        e.height,
                        e.arrival,
                        e.status.name(),
                        t.miners
                            .get(usize::from(e.miner))
                            .map_or("null".to_string(), |m| format!("\"{m}\""))
                    )
                })
                .collect::<Vec<_>>()
                .join(",");
            let json = format!(
                "{{\"tip_height\":{},\"total\":{},\"stale\":{stale},{}\"blocks\":[{items}]}}",
                t.tip_height,
                t.total,
                svg.as_ref().map_or(String::new(), |p| format!(
                    "\"svg\":{},",
                    crate::json::json_str(&p.display().to_string())
                ))
            );
            (text, json)
        }
        other => return Err(format!("unknown command {other:?} (see cheese-cli --help)")),
    };
    println!("{}", if json_out { json } else { text });
    Ok(())
}
