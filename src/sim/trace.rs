//! The `--trace` writer: JSON lines of every first block arrival and, at the end, of
//! every block, for redoing the report's figures elsewhere.

use super::engine::Sim;
use super::hosts::HostId;
use super::report::BlockRec;
use crate::chain::Hash256;
use std::io::Write;

/// Where trace lines go, if anywhere, and why writing them stopped, if it did.
#[derive(Default)]
pub(super) struct Trace {
    out: Option<Box<dyn Write>>,
    error: Option<String>,
}

impl Trace {
    /// True while lines are being written.
    pub(super) fn is_on(&self) -> bool {
        self.out.is_some()
    }

    /// Why writing failed, if it did (the run itself goes on untraced).
    pub(super) fn error(&self) -> Option<String> {
        self.error.clone()
    }

    /// The first arrival of `block` at `node`, `time_ms` after mining started, from
    /// the node whose message delivered it (`None`: no message, e.g. a restart).
    pub(super) fn arrival(
        &mut self,
        block: &Hash256,
        node: usize,
        time_ms: f64,
        from: Option<HostId>,
    ) {
        if !self.is_on() {
            return;
        }
        let line = format!(
            "{{\"type\":\"arrival\",\"block\":\"{}\",\"node\":{node},\"time_ms\":{time_ms},\"from\":{}}}\n",
            block.to_hex(),
            from.map_or("null".into(), |f| f.0.to_string())
        );
        self.write(line.as_bytes());
    }

    /// Every block with whether it is on the final best chain (`in_best[i]` goes with
    /// `blocks[i]`), `ms` turning a virtual instant into ms since mining started; then
    /// flushes.
    pub(super) fn blocks(
        &mut self,
        blocks: &[BlockRec],
        in_best: &[bool],
        ms: impl Fn(u64) -> f64,
    ) {
        if !self.is_on() {
            return;
        }
        let mut out = String::new();
        for (b, best) in blocks.iter().zip(in_best) {
            out.push_str(&format!(
                "{{\"type\":\"block\",\"hash\":\"{}\",\"parent\":\"{}\",\"height\":{},\"miner\":{},\"mined_at_ms\":{},\"counted\":{},\"best\":{best}}}\n",
                b.hash.to_hex(),
                b.parent.to_hex(),
                b.height,
                b.miner,
                ms(b.mined_us),
                b.counted
            ));
        }
        self.write(out.as_bytes());
        if let Some(Err(e)) = self.out.as_mut().map(|w| w.flush()) {
            self.error = Some(e.to_string());
        }
    }

    /// Appends to the output; the first failure stops tracing and is kept for the
    /// report.
    fn write(&mut self, bytes: &[u8]) {
        if let Some(w) = self.out.as_mut() {
            if let Err(e) = w.write_all(bytes) {
                self.error = Some(e.to_string());
                self.out = None;
            }
        }
    }
}

impl Sim {
    /// Writes a trace of the run to `w` as JSON lines: every first arrival of a block
    /// at a node as it happens (`{"type":"arrival","block","node","time_ms","from"}`,
    /// `from` the node whose message delivered it), then at the end every block
    /// (`{"type":"block","hash","parent","height","miner","mined_at_ms","counted",
    /// "best"}`, `best` meaning on the final best chain). Times are milliseconds since
    /// mining started. Tracing changes nothing in the run (nor its digest).
    pub fn set_trace(&mut self, w: Box<dyn Write>) {
        self.trace.out = Some(w);
    }
}
