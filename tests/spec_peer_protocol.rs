//! Keeps `spec/peer-protocol.md` honest: every row of its constants tables (tables
//! headed `| Constant | Value |`) must equal the code's value, every constant the code
//! defines for the protocol must be in a table, and the disconnect-reason table must
//! list exactly the `DisconnectReason` variants with the right ban column.

use cheesechain::chain::NetworkParams;
use cheesechain::net::{CLOSE_FLUSH_TIMEOUT, CONNECT_TIMEOUT, DEFAULT_MAX_SEND_QUEUE_BYTES};
use cheesechain::node::known::{MAX_KNOWN_BLOCKS, PEER_SLOTS};
use cheesechain::node::peer::MAX_KNOWN_PER_PEER;
use cheesechain::node::{
    NodeConfig, DOWNLOAD_WINDOW, GET_PEERS_INTERVAL, MAX_ANNOUNCE_HEADERS, MAX_BLOCKS_PER_GETDATA,
    MAX_KNOWN_ADDRS, MAX_OUTBOUND_PER_GROUP, SYNC_PAUSE_GAP, TEMPLATE_RESERVED_BYTES,
};
use cheesechain::service::DisconnectReason;
use cheesechain::tracker::{
    TrackerConfig, DEFAULT_MAX_PEERS, DEFAULT_MAX_PER_IP, GET_PEERS_BURST, GET_PEERS_REFILL,
    HEARTBEAT_INTERVAL, NOTICE_FANOUT, REGISTER_TIMEOUT, SWEEP_INTERVAL,
};
use cheesechain::wire::{
    FrameError, MAX_HEADERS, MAX_INV, MAX_LOCATOR, MAX_PAYLOAD_LEN, MAX_PEER_LIST,
    MAX_TRACKER_PAYLOAD_LEN, PROTOCOL_VERSION,
};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const DOC: &str = include_str!("../spec/peer-protocol.md");
const INDEX: &str = include_str!("../spec/README.md");

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).expect("duration fits in u64 ms")
}

/// The cells of a markdown table row, trimmed, without the outer pipes.
fn cells(line: &str) -> Option<Vec<String>> {
    let line = line.trim();
    let inner = line.strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(|c| c.trim().to_string()).collect())
}

fn is_separator(row: &[String]) -> bool {
    row.iter()
        .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')))
}

/// Rows (first cells) of every table whose header's first two cells are `first` and
/// `second`, with their line numbers.
fn table_rows(doc: &str, first: &str, second: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut in_table = false;
    for (n, line) in doc.lines().enumerate() {
        let Some(row) = cells(line) else {
            in_table = false;
            continue;
        };
        if row.len() >= 2 && row[0] == first && row[1] == second {
            in_table = true;
            continue;
        }
        if in_table && !is_separator(&row) {
            out.push((n + 1, row));
        }
    }
    out
}

/// `| `NAME` | 123 | ... |` rows of the constants tables, as (line, name, value).
fn doc_constants() -> Vec<(usize, String, u64)> {
    table_rows(DOC, "Constant", "Value")
        .into_iter()
        .map(|(n, row)| {
            let name = row[0].trim_matches('`').to_string();
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "line {n}: constant name {:?} is not UPPER_SNAKE",
                row[0]
            );
            let digits: String = row[1].chars().filter(|c| !matches!(c, ' ' | '_')).collect();
            let value = digits
                .parse::<u64>()
                .unwrap_or_else(|_| panic!("line {n}: value {:?} is not a number", row[1]));
            (n, name, value)
        })
        .collect()
}

/// The code's value of every constant the document must list.
fn code_constants() -> BTreeMap<&'static str, u64> {
    let node = NodeConfig::new(NetworkParams::regtest());
    let tracker = TrackerConfig::default();
    let u = |x: usize| x as u64;
    let mut m = BTreeMap::new();
    // 7.1 Request budgets.
    {
        use cheesechain::node::budget::*;
        for (k, v) in [
            ("GET_HEADERS_BURST", GET_HEADERS_BURST),
            ("GET_HEADERS_RATE", GET_HEADERS_RATE),
            ("GET_HEADERS_COST", GET_HEADERS_COST),
            ("GET_DATA_BURST", GET_DATA_BURST),
            ("GET_DATA_RATE", GET_DATA_RATE),
            ("MEMPOOL_COST", MEMPOOL_COST),
            ("INV_BURST", INV_BURST),
            ("INV_RATE", INV_RATE),
            // The node's default ping budget (a setting, so benchmarks can raise it).
            ("PING_BURST", node.ping_budget.0),
            ("PING_RATE", node.ping_budget.1),
            ("ANTI_DOS_BLOCKS", ANTI_DOS_BLOCKS),
            ("HEADERS_AHEAD_MAX", u64::from(HEADERS_AHEAD_MAX)),
            ("USELESS_HEADERS_BURST", USELESS_HEADERS_BURST),
            ("USELESS_HEADERS_RATE", USELESS_HEADERS_RATE),
            ("SIDE_HEADERS_BURST", SIDE_HEADERS_BURST),
            ("SIDE_HEADERS_RATE", SIDE_HEADERS_RATE),
            ("PRESYNC_FAIL_COST", PRESYNC_FAIL_COST),
            (
                "PRESYNC_COMMIT_PERIOD",
                u64::from(cheesechain::chain::presync::COMMIT_PERIOD),
            ),
        ] {
            m.insert(k, v);
        }
    }
    // 1.1 Tracker.
    m.insert("DEFAULT_MAX_PEERS", u(tracker.max_peers));
    m.insert("DEFAULT_MAX_PER_IP", u(tracker.max_per_ip));
    m.insert("PEER_LIST_SIZE", u(tracker.peer_list_size));
    m.insert("NOTICE_FANOUT", u(tracker.notice_fanout));
    m.insert("GET_PEERS_BURST", u64::from(tracker.get_peers_burst));
    m.insert("GET_PEERS_REFILL_MS", ms(tracker.get_peers_refill));
    m.insert(
        "DEFAULT_HEARTBEAT_TIMEOUT_MS",
        ms(tracker.heartbeat_timeout),
    );
    m.insert("REGISTER_TIMEOUT_MS", ms(tracker.register_timeout));
    m.insert("SWEEP_INTERVAL_MS", ms(tracker.sweep_interval));
    // 1.2 Peer settings. The destructuring lists every field, so a new setting does
    // not compile until it is given a row here (and so in the spec).
    let NodeConfig {
        params: _,
        listen_port: _,
        tracker: _,
        connect: _,
        mine_to: _,
        seed: _,
        max_outbound: _,
        max_inbound: _,
        max_handshaking: _,
        max_inbound_per_group: _,
        handshake_timeout: _,
        ping_interval: _,
        ping_timeout: _,
        idle_timeout: _,
        request_timeout: _,
        ban_duration: _,
        heartbeat_interval: _,
        tracker_backoff_min: _,
        tracker_backoff_max: _,
        peer_retry: _,
        mempool_max_txs: _,
        orphan_max_bytes: _,
        orphan_peer_bytes: _,
        max_blocks_in_flight_per_peer: _,
        template_refresh: _,
        block_push_peers: _,
        // PING_BURST and PING_RATE in section 7.1.
        ping_budget: _,
        // Not numbers: the mining strategy and tie-break (peer-protocol.md, appendix A).
        strategy: _,
        tie_break: _,
        // MIN_CHAIN_WORK below (a 256-bit number, zero by default).
        min_chain_work: _,
        // STALE_TIP_MIN_MS (main, devnet) and STALE_TIP_MIN_TEST_MS (testnet, regtest).
        stale_tip_min: _,
    } = node.clone();
    assert!(node.min_chain_work.is_zero());
    m.insert("MIN_CHAIN_WORK", 0);
    m.insert("MAX_OUTBOUND", u(node.max_outbound));
    m.insert("MAX_OUTBOUND_PER_GROUP", u(MAX_OUTBOUND_PER_GROUP));
    m.insert("MAX_INBOUND", u(node.max_inbound));
    m.insert("MAX_HANDSHAKING", u(node.max_handshaking));
    m.insert("MAX_INBOUND_PER_GROUP", u(node.max_inbound_per_group));
    m.insert("HANDSHAKE_TIMEOUT_MS", ms(node.handshake_timeout));
    m.insert("PING_INTERVAL_MS", ms(node.ping_interval));
    m.insert("PING_TIMEOUT_MS", ms(node.ping_timeout));
    m.insert("IDLE_TIMEOUT_MS", ms(node.idle_timeout));
    m.insert("REQUEST_TIMEOUT_MS", ms(node.request_timeout));
    m.insert("BAN_MS", ms(node.ban_duration));
    m.insert("HEARTBEAT_INTERVAL_MS", ms(node.heartbeat_interval));
    m.insert("TRACKER_BACKOFF_MIN_MS", ms(node.tracker_backoff_min));
    m.insert("TRACKER_BACKOFF_MAX_MS", ms(node.tracker_backoff_max));
    m.insert("PEER_RETRY_MS", ms(node.peer_retry));
    m.insert("MEMPOOL_MAX_TXS", u(node.mempool_max_txs));
    m.insert("ORPHAN_MAX_BYTES", u(node.orphan_max_bytes));
    m.insert("ORPHAN_PEER_BYTES", u(node.orphan_peer_bytes));
    m.insert(
        "MAX_BLOCKS_IN_FLIGHT_PER_PEER",
        u(node.max_blocks_in_flight_per_peer),
    );
    m.insert("TEMPLATE_REFRESH_MS", ms(node.template_refresh));
    m.insert("BLOCK_PUSH_PEERS", u(node.block_push_peers));
    // 1.3 Peer limits.
    m.insert("MAX_BLOCKS_PER_GETDATA", u(MAX_BLOCKS_PER_GETDATA));
    m.insert("NOT_FOUND_RETRY_MS", ms(cheesechain::node::NOT_FOUND_RETRY));
    m.insert("MAX_ANNOUNCE_HEADERS", u(MAX_ANNOUNCE_HEADERS));
    m.insert("MAX_KNOWN_ADDRS", u(MAX_KNOWN_ADDRS));
    m.insert(
        "STALE_TIP_INTERVALS",
        u64::from(cheesechain::node::STALE_TIP_INTERVALS),
    );
    // A per-network default of a setting: one row for the slow presets, one for the
    // easy ones.
    let floor = |p: NetworkParams| ms(NodeConfig::new(p).stale_tip_min);
    let slow = floor(NetworkParams::main());
    assert_eq!(slow, floor(NetworkParams::devnet(1)));
    assert_eq!(slow, cheesechain::node::STALE_TIP_MIN_MS);
    m.insert("STALE_TIP_MIN_MS", slow);
    let easy = ms(node.stale_tip_min);
    assert_eq!(easy, floor(NetworkParams::testnet()));
    assert_eq!(easy, cheesechain::node::STALE_TIP_MIN_TEST_MS);
    m.insert("STALE_TIP_MIN_TEST_MS", easy);
    m.insert("DOWNLOAD_WINDOW", u(DOWNLOAD_WINDOW));
    m.insert(
        "SIG_CACHE_MAX_ENTRIES",
        u(cheesechain::chain::sigcache::SIG_CACHE_MAX_ENTRIES),
    );
    m.insert("TEMPLATE_RESERVED_BYTES", u(TEMPLATE_RESERVED_BYTES));
    m.insert("GET_PEERS_INTERVAL_MS", ms(GET_PEERS_INTERVAL));
    m.insert("SYNC_PAUSE_GAP", u64::from(SYNC_PAUSE_GAP));
    m.insert("MAX_KNOWN_PER_PEER", u(MAX_KNOWN_PER_PEER));
    m.insert("MAX_KNOWN_BLOCKS", u(MAX_KNOWN_BLOCKS));
    m.insert("PEER_SLOTS", u(PEER_SLOTS));
    // The spec's names for what a node builds and answers; one constant each with the
    // wire limits below.
    m.insert("MAX_LOCATOR_LEN", u(MAX_LOCATOR));
    m.insert("MAX_HEADERS_RESULTS", u(MAX_HEADERS));
    // 1.4 Wire.
    m.insert("PROTOCOL_VERSION", u64::from(PROTOCOL_VERSION));
    m.insert("MAX_PEER_LIST", u(MAX_PEER_LIST));
    m.insert("MAX_LOCATOR", u(MAX_LOCATOR));
    m.insert("MAX_HEADERS", u(MAX_HEADERS));
    m.insert("MAX_INV", u(MAX_INV));
    m.insert("MAX_PAYLOAD_LEN", u(MAX_PAYLOAD_LEN));
    m.insert("MAX_TRACKER_PAYLOAD_LEN", u(MAX_TRACKER_PAYLOAD_LEN));
    // 1.5 Transport.
    m.insert("CONNECT_TIMEOUT_MS", ms(CONNECT_TIMEOUT));
    m.insert("CLOSE_FLUSH_TIMEOUT_MS", ms(CLOSE_FLUSH_TIMEOUT));
    m.insert(
        "DEFAULT_MAX_SEND_QUEUE_BYTES",
        u(DEFAULT_MAX_SEND_QUEUE_BYTES),
    );
    m
}

#[test]
fn constants_tables_match_the_code() {
    let code = code_constants();
    let doc = doc_constants();
    assert!(doc.len() >= code.len(), "constants tables not found");
    let mut seen = BTreeSet::new();
    for (line, name, value) in &doc {
        let Some(&expected) = code.get(name.as_str()) else {
            panic!("line {line}: {name} is not a constant this test knows; add it here");
        };
        assert_eq!(
            *value, expected,
            "line {line}: {name} is {value} in the spec but {expected} in the code"
        );
        seen.insert(name.as_str());
    }
    let missing: Vec<_> = code.keys().filter(|k| !seen.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "constants missing from the spec: {missing:?}"
    );
}

#[test]
fn tracker_defaults_are_the_named_constants() {
    // The spec names TrackerConfig fields after these constants; keep both in step.
    let t = TrackerConfig::default();
    assert_eq!(t.max_peers, DEFAULT_MAX_PEERS);
    assert_eq!(t.max_per_ip, DEFAULT_MAX_PER_IP);
    assert_eq!(t.register_timeout, REGISTER_TIMEOUT);
    assert_eq!(t.sweep_interval, SWEEP_INTERVAL);
    assert_eq!(t.notice_fanout, NOTICE_FANOUT);
    assert_eq!(t.get_peers_burst, GET_PEERS_BURST);
    assert_eq!(t.get_peers_refill, GET_PEERS_REFILL);
    // An honest peer's get-peers never exceed the tracker's budget.
    assert!(GET_PEERS_INTERVAL >= t.get_peers_refill && t.get_peers_burst >= 1);
    assert!(t.peer_list_size <= MAX_PEER_LIST);
    // The tracker's expected heartbeat interval is the peer's default, and a peer that
    // heartbeats on time is never dropped.
    let node = NodeConfig::new(NetworkParams::regtest());
    assert_eq!(HEARTBEAT_INTERVAL, node.heartbeat_interval);
    assert!(node.heartbeat_interval < t.heartbeat_timeout);
}

#[test]
fn default_timers_are_consistent() {
    // Relations the spec's prose relies on.
    let n = NodeConfig::new(NetworkParams::regtest());
    assert!(
        n.ping_interval < n.idle_timeout,
        "a peer answering pings must never look idle"
    );
    assert!(n.tracker_backoff_min <= n.tracker_backoff_max);
    assert!(MAX_BLOCKS_PER_GETDATA >= n.max_blocks_in_flight_per_peer);
}

/// Every variant, by an exhaustive match: adding a variant breaks the build here until
/// the spec's table is updated.
fn all_reasons() -> Vec<(&'static str, DisconnectReason)> {
    let all = vec![
        DisconnectReason::RemoteClosed,
        DisconnectReason::Io(String::new()),
        DisconnectReason::Frame(FrameError::BadChecksum),
        DisconnectReason::ProtocolViolation(""),
        DisconnectReason::Misbehaviour(String::new()),
        DisconnectReason::OverBudget(cheesechain::service::Budget::Ping),
        DisconnectReason::WrongNetwork,
        DisconnectReason::SelfConnection,
        DisconnectReason::Duplicate,
        DisconnectReason::Timeout(""),
        DisconnectReason::TooManyConnections,
        DisconnectReason::Evicted,
        DisconnectReason::StaleEvicted,
        DisconnectReason::Banned,
        DisconnectReason::SendQueueFull,
        DisconnectReason::Shutdown,
        DisconnectReason::Requested,
    ];
    all.into_iter()
        .map(|r| {
            let name = match &r {
                DisconnectReason::RemoteClosed => "RemoteClosed",
                DisconnectReason::Io(_) => "Io",
                DisconnectReason::Frame(_) => "Frame",
                DisconnectReason::ProtocolViolation(_) => "ProtocolViolation",
                DisconnectReason::Misbehaviour(_) => "Misbehaviour",
                DisconnectReason::OverBudget(_) => "OverBudget",
                DisconnectReason::WrongNetwork => "WrongNetwork",
                DisconnectReason::SelfConnection => "SelfConnection",
                DisconnectReason::Duplicate => "Duplicate",
                DisconnectReason::Timeout(_) => "Timeout",
                DisconnectReason::TooManyConnections => "TooManyConnections",
                DisconnectReason::Evicted => "Evicted",
                DisconnectReason::StaleEvicted => "StaleEvicted",
                DisconnectReason::Banned => "Banned",
                DisconnectReason::SendQueueFull => "SendQueueFull",
                DisconnectReason::Shutdown => "Shutdown",
                DisconnectReason::Requested => "Requested",
            };
            (name, r)
        })
        .collect()
}

#[test]
fn disconnect_reason_table_matches_the_enum() {
    let rows = table_rows(DOC, "Reason", "When");
    let mut doc: BTreeMap<String, bool> = BTreeMap::new();
    for (line, row) in rows {
        assert_eq!(
            row.len(),
            3,
            "line {line}: expected | Reason | When | Ban |"
        );
        let name = row[0].trim_matches('`').to_string();
        let ban = match row[2].as_str() {
            "yes" => true,
            "no" => false,
            other => panic!("line {line}: ban column {other:?} is not yes/no"),
        };
        assert!(
            doc.insert(name.clone(), ban).is_none(),
            "line {line}: {name} listed twice"
        );
    }
    let code: BTreeMap<String, bool> = all_reasons()
        .into_iter()
        .map(|(n, r)| (n.to_string(), r.is_misbehaviour()))
        .collect();
    assert_eq!(doc, code, "spec section 10 differs from DisconnectReason");
}

#[test]
fn index_links_the_document() {
    assert!(
        INDEX.contains("[peer-protocol.md](peer-protocol.md)"),
        "spec/README.md must link peer-protocol.md"
    );
    assert!(DOC.starts_with("# "), "the document starts with its title");
}
