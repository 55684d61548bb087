//! The status file a peer rewrites in its data directory, read by `devnet` and tests.
//!
//! Format: one `key value` pair per line, ASCII. Written to `status.tmp` and renamed
//! over `status`, so readers never see a half-written file.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// Name of the status file inside a data directory.
pub const STATUS_FILE: &str = "status";

/// A parsed status file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusFile(pub BTreeMap<String, String>);

impl StatusFile {
    /// Adds or replaces a field.
    pub fn set(&mut self, key: &str, value: impl ToString) {
        self.0.insert(key.to_string(), value.to_string());
    }

    /// A field as text.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|s| s.as_str())
    }

    /// A numeric field (0 when missing or not a number).
    pub fn num(&self, key: &str) -> u64 {
        self.get(key).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    /// Parses the text form; malformed lines are skipped.
    pub fn parse(text: &str) -> StatusFile {
        let mut m = BTreeMap::new();
        for line in text.lines() {
            if let Some((k, v)) = line.split_once(' ') {
                m.insert(k.to_string(), v.trim().to_string());
            }
        }
        StatusFile(m)
    }

    /// The text form.
    pub fn render(&self) -> String {
        self.0.iter().map(|(k, v)| format!("{k} {v}\n")).collect()
    }

    /// Atomically replaces `dir/status`.
    ///
    /// # Errors
    /// I/O errors from writing or renaming.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        let tmp = dir.join("status.tmp");
        std::fs::write(&tmp, self.render())?;
        std::fs::rename(tmp, dir.join(STATUS_FILE))
    }

    /// Reads `dir/status`, if present.
    pub fn read(dir: &Path) -> Option<StatusFile> {
        std::fs::read_to_string(dir.join(STATUS_FILE))
            .ok()
            .map(|t| StatusFile::parse(&t))
    }
}

/// The newest blocks a status file lists (`chain` field): height -> block hash.
pub fn recent_chain(s: &StatusFile) -> BTreeMap<u64, String> {
    s.get("chain")
        .unwrap_or_default()
        .split(' ')
        .filter_map(|e| {
            let (h, b) = e.split_once(':')?;
            Some((h.parse().ok()?, b.to_string()))
        })
        .collect()
}

/// Whether nodes have converged: the highest height >= `min` at which every node's
/// active chain holds the same block, with that block's hash. Status files are
/// written at different instants while blocks keep coming, so "the same tip at the
/// same moment" is a race on a fast network; agreeing on a recent block of everyone's
/// chain is not. With blocks minutes apart both mean the same.
pub fn agreed_block(statuses: &[StatusFile], min: u64) -> Option<(u64, String)> {
    let chains: Vec<BTreeMap<u64, String>> = statuses.iter().map(recent_chain).collect();
    let (first, rest) = chains.split_first()?;
    first
        .iter()
        .rev()
        .filter(|(h, _)| **h >= min)
        .find(|(h, b)| rest.iter().all(|c| c.get(h) == Some(b)))
        .map(|(h, b)| (*h, b.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_is_the_highest_common_block_at_or_above_min() {
        let st = |chain: &str| {
            let mut s = StatusFile::default();
            s.set("chain", chain);
            s
        };
        let a = st("4:aa 5:bb 6:cc");
        let b = st("4:aa 5:bb 6:dd");
        let c = st("4:aa 5:bb");
        assert_eq!(
            agreed_block(&[a.clone(), b.clone(), c.clone()], 4),
            Some((5, "bb".into()))
        );
        assert_eq!(agreed_block(&[a.clone(), b.clone()], 6), None);
        assert_eq!(agreed_block(&[a.clone(), st("4:xx 5:yy")], 4), None);
        assert_eq!(
            agreed_block(std::slice::from_ref(&a), 0),
            Some((6, "cc".into()))
        );
        assert_eq!(agreed_block(&[], 0), None);
    }

    #[test]
    fn render_parse_round_trip() {
        let mut s = StatusFile::default();
        s.set("height", 12);
        s.set("tip", "00ab");
        let p = StatusFile::parse(&s.render());
        assert_eq!(p, s);
        assert_eq!(p.num("height"), 12);
        assert_eq!(p.num("missing"), 0);
    }
}
