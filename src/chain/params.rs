//! Network parameters and the genesis block ("raclette") they define.
//!
//! Every consensus constant that differs between networks lives in [`NetworkParams`].
//! The genesis block commits to all of them (its coinbase recipient is derived from the
//! encoded parameters), so the genesis hash doubles as the network id: two nodes with
//! any parameter different have different network ids and refuse each other at the
//! handshake.

use super::block::Block;
use super::hash::Hash256;
use super::header::BlockHeader;
use super::tx::{AccountId, Coinbase, Transaction};
use super::u256::U256;
use crate::codec::{put_u32, put_u64};

/// Consensus parameters of one network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkParams {
    /// Human-readable name, shown in logs; committed to by the genesis block.
    pub name: String,
    /// The 4 bytes every frame on this network starts with.
    pub magic: [u8; 4],
    /// The easiest target allowed, in compact form. Retargeting never goes above it.
    pub pow_limit_bits: u32,
    /// Target of the genesis block and of the blocks up to the first retarget.
    pub genesis_bits: u32,
    /// Time field of the genesis block.
    pub genesis_time: u32,
    /// The block interval the difficulty adjustment aims for, in seconds.
    pub target_spacing_secs: u32,
    /// Blocks between difficulty adjustments; 0 disables adjustment.
    pub retarget_interval: u32,
    /// The measured timespan is clamped to [expected / clamp, expected * clamp].
    pub retarget_clamp: u32,
    /// How many previous blocks the median-time-past is taken over.
    pub mtp_window: u32,
    /// How far, in seconds, a block's time may be ahead of the receiver's clock.
    pub max_future_drift_secs: u32,
    /// Coins created by each block, paid by its coinbase together with its fees.
    pub block_reward: u64,
}

impl NetworkParams {
    /// The default network: blocks every 10 seconds on a few CPU miners, retargeting
    /// every 30 blocks, so a chain grows at a pace a person can watch.
    pub fn main() -> NetworkParams {
        NetworkParams {
            name: "main".into(),
            magic: [0xc4, 0xee, 0x5e, 0x01],
            pow_limit_bits: 0x1f00_ffff,
            genesis_bits: 0x1d20_0000,
            // 2026-12-03T00:00:00Z: a new genesis for the first-retarget window rule
            // (spec change log 1.1); 1.0's main started at 1_764_028_800.
            genesis_time: 1_764_720_000,
            target_spacing_secs: 10,
            retarget_interval: 30,
            retarget_clamp: 4,
            mtp_window: 11,
            max_future_drift_secs: 600,
            block_reward: 50 * COIN,
        }
    }

    /// A network for local experiments with a chosen block interval: like `main` but
    /// retargeting every 10 blocks, under its own name and magic. The first target is
    /// set so that a block takes about `40 M x block_time` hashes (a few CPU miners
    /// reach the interval soon; retargeting corrects the rest).
    pub fn devnet(block_time_secs: u32) -> NetworkParams {
        let spacing = block_time_secs.max(1);
        let hashes = U256::from_u64(DEVNET_HASHES_PER_SEC * spacing as u64);
        let genesis_bits = U256::MAX
            .div_rem(hashes)
            .map_or(0x2000_ffff, |(q, _)| q.to_compact());
        NetworkParams {
            name: format!("devnet-{spacing}s"),
            magic: [0xc4, 0xee, 0x5e, 0xde],
            pow_limit_bits: 0x2000_ffff,
            genesis_bits,
            target_spacing_secs: spacing,
            retarget_interval: 10,
            ..NetworkParams::main()
        }
    }

    /// The network the process tests run: a fixed, easy target (about 2^19 hashes a
    /// block, tens of milliseconds on one core) and no difficulty adjustment, so real
    /// processes make hundreds of blocks in seconds while forks stay rare.
    pub fn testnet() -> NetworkParams {
        NetworkParams {
            name: "testnet".into(),
            // 2025-11-25T00:00:00Z; without retargets the 1.1 window rule does not
            // change this network, so it keeps its 1.0 genesis.
            genesis_time: 1_764_028_800,
            magic: [0xc4, 0xee, 0x5e, 0x7e],
            pow_limit_bits: 0x1e20_0000,
            genesis_bits: 0x1e20_0000,
            target_spacing_secs: 1,
            retarget_interval: 0,
            max_future_drift_secs: 7200,
            ..NetworkParams::main()
        }
    }

    /// The test network: the easiest target (about every second hash is a block) and no
    /// difficulty adjustment, so tests mine blocks in microseconds.
    pub fn regtest() -> NetworkParams {
        NetworkParams {
            name: "regtest".into(),
            // 2025-11-25T00:00:00Z; without retargets the 1.1 window rule does not
            // change this network, so it keeps its 1.0 genesis.
            genesis_time: 1_764_028_800,
            magic: [0xc4, 0xee, 0x5e, 0xff],
            pow_limit_bits: 0x207f_ffff,
            genesis_bits: 0x207f_ffff,
            target_spacing_secs: 1,
            retarget_interval: 0,
            max_future_drift_secs: 7200,
            ..NetworkParams::main()
        }
    }

    /// Looks a network up by name: `main`, `testnet`, `regtest`, or `devnet` (with
    /// [`DEFAULT_DEVNET_BLOCK_TIME`]).
    pub fn by_name(name: &str) -> Option<NetworkParams> {
        match name {
            "main" => Some(NetworkParams::main()),
            "regtest" => Some(NetworkParams::regtest()),
            "testnet" => Some(NetworkParams::testnet()),
            "devnet" => Some(NetworkParams::devnet(DEFAULT_DEVNET_BLOCK_TIME)),
            _ => None,
        }
    }

    /// The name of the preset network whose frames start with `magic` (`devnet` for
    /// every block time: they share one magic), for naming a refused network in logs.
    pub fn name_of_magic(magic: [u8; 4]) -> Option<&'static str> {
        [
            ("main", NetworkParams::main()),
            ("devnet", NetworkParams::devnet(DEFAULT_DEVNET_BLOCK_TIME)),
            ("testnet", NetworkParams::testnet()),
            ("regtest", NetworkParams::regtest()),
        ]
        .into_iter()
        .find(|(_, p)| p.magic == magic)
        .map(|(n, _)| n)
    }

    /// Every preset network: `main`, `testnet`, `regtest`, and `devnet` for block times
    /// of 1 to [`NAMED_DEVNET_BLOCK_TIMES`] seconds; for naming the network of a peer
    /// that is on another one.
    pub fn presets() -> Vec<NetworkParams> {
        let mut nets = vec![
            NetworkParams::main(),
            NetworkParams::testnet(),
            NetworkParams::regtest(),
        ];
        nets.extend((1..=NAMED_DEVNET_BLOCK_TIMES).map(NetworkParams::devnet));
        nets
    }

    /// The command-line flags that select this network, if it is a preset:
    /// `--network testnet`, or `--network devnet --block-time 10`.
    pub fn cli_flags(&self) -> String {
        match self.name.strip_prefix("devnet-") {
            Some(_) => format!("--network devnet --block-time {}", self.target_spacing_secs),
            None => format!("--network {}", self.name),
        }
    }

    /// The canonical encoding of the parameters, which the genesis block commits to.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(self.name.len() as u32).to_le_bytes());
        v.extend_from_slice(self.name.as_bytes());
        v.extend_from_slice(&self.magic);
        put_u32(&mut v, self.pow_limit_bits);
        put_u32(&mut v, self.genesis_bits);
        put_u32(&mut v, self.genesis_time);
        put_u32(&mut v, self.target_spacing_secs);
        put_u32(&mut v, self.retarget_interval);
        put_u32(&mut v, self.retarget_clamp);
        put_u32(&mut v, self.mtp_window);
        put_u32(&mut v, self.max_future_drift_secs);
        put_u64(&mut v, self.block_reward);
        v
    }

    /// The genesis block: one coinbase of amount 0 whose recipient is `0x02` followed by
    /// SHA-256 of [`NetworkParams::encode`]; nonce 0. Its proof of work is not checked.
    pub fn genesis_block(&self) -> Block {
        let mut recipient = [0x02u8; 33];
        recipient[1..].copy_from_slice(&Hash256::sha256(&self.encode()).0);
        let coinbase = Transaction::Coinbase(Coinbase {
            height: 0,
            recipient: AccountId(recipient),
            amount: 0,
            extra_nonce: 0,
        });
        let header = BlockHeader {
            version: 1,
            prev: Hash256::ZERO,
            // The merkle root of a single transaction is its id.
            merkle_root: coinbase.txid(),
            time: self.genesis_time,
            bits: self.genesis_bits,
            nonce: 0,
        };
        Block {
            header,
            txs: vec![coinbase],
        }
    }

    /// The network id: the genesis block hash. Sent in the handshake and signed over by
    /// every transfer.
    pub fn network_id(&self) -> Hash256 {
        self.genesis_block().hash()
    }
}

/// Block interval of `devnet` when none is given, in seconds (the `devnet` launcher,
/// `peer`, `tracker` and `wallet` all default to it).
pub const DEFAULT_DEVNET_BLOCK_TIME: u32 = 5;

/// Devnet block times [`NetworkParams::presets`] lists (1 to this many seconds).
pub const NAMED_DEVNET_BLOCK_TIMES: u32 = 120;

/// Hash rate assumed when choosing devnet's first target: about what a default devnet
/// (four peers, one thread each) reaches, so its first blocks come at about the
/// configured interval: one thread of the AVX-512 engine does about 23 MH/s
/// (`peer --benchmark`), so four peers on 2 cores mine about 46 MH/s. The first
/// retarget (after 10 blocks, a target change of at most 4x) corrects any machine
/// between 10 and 160 MH/s at once.
/// (Was 4 MH/s, from before the SIMD miners: the first blocks then came 10x too fast.)
pub const DEVNET_HASHES_PER_SEC: u64 = 40_000_000;

/// Base units in one coin.
pub const COIN: u64 = 100_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_have_distinct_ids_and_magics() {
        let nets = [
            NetworkParams::main(),
            NetworkParams::regtest(),
            NetworkParams::testnet(),
            NetworkParams::devnet(10),
            NetworkParams::devnet(5),
        ];
        for (i, a) in nets.iter().enumerate() {
            for b in &nets[i + 1..] {
                assert_ne!(a.network_id(), b.network_id(), "{} vs {}", a.name, b.name);
            }
        }
        assert_ne!(NetworkParams::main().magic, NetworkParams::regtest().magic);
        assert_eq!(NetworkParams::by_name("main"), Some(NetworkParams::main()));
        assert_eq!(NetworkParams::by_name("nope"), None);
    }
}
