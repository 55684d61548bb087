//! The block file: round trips, torn-tail recovery at every byte offset of the last
//! record, and errors (with offsets) for corruption that is not a torn tail.

use cheesechain::chain::{AccountId, Block, Coinbase, NetworkParams, Transaction, Transfer};
use cheesechain::miner::Miner;
use cheesechain::store::{BlockFile, Recovery, StoreError, BLOCK_FILE_NAME, RECORD_HEADER_LEN};
use proptest::prelude::*;
use std::path::Path;

/// Mines `n` real regtest blocks on top of genesis, block i carrying i transfers.
fn chain(n: u32) -> Vec<Block> {
    let params = NetworkParams::regtest();
    let mut prev = params.genesis_block();
    let mut out = Vec::new();
    for h in 1..=n {
        let mut txs = vec![Transaction::Coinbase(Coinbase {
            height: h,
            recipient: AccountId([2; 33]),
            amount: params.block_reward,
            extra_nonce: 0,
        })];
        for s in 0..h {
            txs.push(Transaction::Transfer(Transfer {
                sender: AccountId([3; 33]),
                recipient: AccountId([2; 33]),
                amount: 1,
                fee: 1,
                sequence: u64::from(s),
                signature: [h as u8; 64],
            }));
        }
        let mut t = Block {
            header: prev.header,
            txs,
        };
        t.header.prev = prev.hash();
        t.header.time += 1;
        let b = Miner::new(t).work(10_000).expect("regtest block");
        out.push(b.clone());
        prev = b;
    }
    out
}

fn write_all(dir: &Path, blocks: &[Block]) -> Vec<u8> {
    let (mut f, got, rec) = BlockFile::open(dir).unwrap();
    assert!(got.is_empty() && rec.is_none());
    for b in blocks {
        f.append(b).unwrap();
    }
    assert_eq!(f.records(), blocks.len() as u64);
    std::fs::read(dir.join(BLOCK_FILE_NAME)).unwrap()
}

fn record_len(b: &Block) -> usize {
    RECORD_HEADER_LEN + b.encoded_len()
}

#[test]
fn blocks_round_trip_and_appends_continue() {
    let dir = tempfile::tempdir().unwrap();
    let blocks = chain(5);
    let bytes = write_all(dir.path(), &blocks[..3]);
    assert_eq!(
        bytes.len(),
        blocks[..3].iter().map(record_len).sum::<usize>()
    );
    let (mut f, got, rec) = BlockFile::open(dir.path()).unwrap();
    assert_eq!(got, blocks[..3]);
    assert_eq!(rec, None);
    f.append(&blocks[3]).unwrap();
    f.append(&blocks[4]).unwrap();
    drop(f);
    let (f, got, rec) = BlockFile::open(dir.path()).unwrap();
    assert_eq!(got, blocks);
    assert_eq!(rec, None);
    assert_eq!(
        f.len_bytes(),
        blocks.iter().map(record_len).sum::<usize>() as u64
    );
}

#[test]
fn open_creates_the_directory_and_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("a/b");
    let (f, got, rec) = BlockFile::open(&sub).unwrap();
    assert!(got.is_empty());
    assert_eq!(rec, None);
    assert_eq!(f.path(), sub.join(BLOCK_FILE_NAME));
    assert!(sub.join(BLOCK_FILE_NAME).exists());
}

#[test]
fn truncation_at_every_offset_of_the_last_record_is_recovered() {
    let blocks = chain(4);
    let src = tempfile::tempdir().unwrap();
    let full = write_all(src.path(), &blocks);
    let last_start = full.len() - record_len(&blocks[3]);
    let extra = &chain(5)[4];
    for cut in last_start..full.len() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(BLOCK_FILE_NAME);
        std::fs::write(&path, &full[..cut]).unwrap();
        let (mut f, got, rec) = BlockFile::open(dir.path()).unwrap();
        assert_eq!(got, blocks[..3], "cut at {cut}");
        if cut == last_start {
            assert_eq!(rec, None, "cut exactly at a record boundary");
        } else {
            assert_eq!(
                rec,
                Some(Recovery {
                    offset: last_start as u64,
                    bytes_dropped: (cut - last_start) as u64
                }),
                "cut at {cut}"
            );
        }
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            last_start as u64,
            "file truncated to the last good record"
        );
        f.append(extra).unwrap();
        drop(f);
        let (_, got, rec) = BlockFile::open(dir.path()).unwrap();
        assert_eq!(rec, None);
        assert_eq!(got.len(), 4);
        assert_eq!(got[..3], blocks[..3]);
        assert_eq!(&got[3], extra);
    }
}

#[test]
fn bad_checksum_of_the_last_record_is_a_torn_tail() {
    let blocks = chain(3);
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = write_all(dir.path(), &blocks);
    let last_start = bytes.len() - record_len(&blocks[2]);
    let n = bytes.len();
    bytes[n - 1] ^= 0x40;
    std::fs::write(dir.path().join(BLOCK_FILE_NAME), &bytes).unwrap();
    let (_, got, rec) = BlockFile::open(dir.path()).unwrap();
    assert_eq!(got, blocks[..2]);
    assert_eq!(
        rec,
        Some(Recovery {
            offset: last_start as u64,
            bytes_dropped: record_len(&blocks[2]) as u64
        })
    );
}

#[test]
fn flipped_byte_in_a_middle_record_is_an_error_naming_its_offset() {
    let blocks = chain(4);
    let src = tempfile::tempdir().unwrap();
    let full = write_all(src.path(), &blocks);
    let second = record_len(&blocks[0]);
    let third = second + record_len(&blocks[1]);
    // Every byte of the second record: magic, length, checksum and payload.
    for i in second..third {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = full.clone();
        bytes[i] ^= 0x01;
        std::fs::write(dir.path().join(BLOCK_FILE_NAME), &bytes).unwrap();
        let err = BlockFile::open(dir.path()).unwrap_err();
        let off = match &err {
            StoreError::BadMagic { offset, .. }
            | StoreError::BadChecksum { offset, .. }
            | StoreError::TooLarge { offset, .. }
            | StoreError::BadLength { offset, .. }
            | StoreError::Decode { offset, .. } => *offset,
            other => panic!("unexpected error {other}"),
        };
        let msg = err.to_string();
        assert!(msg.contains(BLOCK_FILE_NAME), "{msg}");
        if (second..second + 4).contains(&i) {
            assert!(matches!(err, StoreError::BadMagic { .. }));
        }
        if (second + 8..third).contains(&i) {
            assert!(matches!(err, StoreError::BadChecksum { .. }), "{msg}");
        }
        // A changed length makes the next "record" start elsewhere, so the error may be
        // found at a later offset; otherwise it is this record's offset.
        if !(second + 4..second + 8).contains(&i) {
            assert_eq!(off, second as u64, "{msg}");
            assert!(msg.contains(&format!("offset {second}")), "{msg}");
        }
        // The file is left untouched for a person to inspect.
        assert_eq!(
            std::fs::read(dir.path().join(BLOCK_FILE_NAME)).unwrap(),
            bytes
        );
    }
}

#[test]
fn oversized_length_is_an_error_even_at_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec = b"CHZB".to_vec();
    rec.extend_from_slice(&u32::MAX.to_le_bytes());
    rec.extend_from_slice(&[0; 4]);
    std::fs::write(dir.path().join(BLOCK_FILE_NAME), &rec).unwrap();
    match BlockFile::open(dir.path()) {
        Err(StoreError::TooLarge { offset: 0, len, .. }) => assert_eq!(len, u64::from(u32::MAX)),
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn checksummed_payload_that_is_not_a_block_is_a_decode_error() {
    let dir = tempfile::tempdir().unwrap();
    let payload = b"not a block at all".to_vec();
    let sum = cheesechain::chain::Hash256::sha256d(&payload);
    let mut rec = b"CHZB".to_vec();
    rec.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    rec.extend_from_slice(&sum.0[..4]);
    rec.extend_from_slice(&payload);
    std::fs::write(dir.path().join(BLOCK_FILE_NAME), &rec).unwrap();
    let err = BlockFile::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Decode { offset: 0, .. }), "{err}");
    assert!(err.to_string().contains("not a valid block"));
}

#[test]
fn garbage_file_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let garbage: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(dir.path().join(BLOCK_FILE_NAME), &garbage).unwrap();
    let err = BlockFile::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, StoreError::BadMagic { offset: 0, .. }),
        "{err}"
    );
    assert!(err
        .to_string()
        .starts_with(&dir.path().display().to_string()));
}

#[test]
fn unusable_directory_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, b"x").unwrap();
    let err = BlockFile::open(&file).unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }), "{err}");
    assert!(err.to_string().contains("plain"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Appending random bytes or overwriting random positions never panics; either the
    /// file opens to a prefix of the blocks, or it is an error.
    #[test]
    fn random_damage_never_panics(
        tail in proptest::collection::vec(any::<u8>(), 0..64),
        writes in proptest::collection::vec((any::<u16>(), any::<u8>()), 0..4),
    ) {
        thread_local! { static BLOCKS: (Vec<Block>, Vec<u8>) = {
            let blocks = chain(3);
            let dir = tempfile::tempdir().unwrap();
            let bytes = write_all(dir.path(), &blocks);
            (blocks, bytes)
        }; }
        let (blocks, mut bytes) = BLOCKS.with(|b| b.clone());
        let n = bytes.len();
        for (pos, val) in &writes {
            bytes[*pos as usize % n] = *val;
        }
        bytes.extend_from_slice(&tail);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(BLOCK_FILE_NAME), &bytes).unwrap();
        if let Ok((_, got, _)) = BlockFile::open(dir.path()) {
            prop_assert!(got.len() <= blocks.len() + 1);
            if writes.is_empty() {
                prop_assert_eq!(&got[..3], &blocks[..]);
            }
        }
    }
}
