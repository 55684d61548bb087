//! A picture of a block tree as SVG: the active chain on one line, stale branches on
//! lanes below it, heights on an axis, each block with its short hash, its miner and
//! the order it arrived in, and a legend.
//!
//! Standalone: it takes a plain list of [`TreeBlock`]s (from a node's chain through
//! `cheese-cli tree`, from `devnet`, or from the simulator) and returns the SVG text.
//! Pure: no I/O.

use crate::chain::hash::Hash256;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// One block of the tree to draw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeBlock {
    /// The block's hash.
    pub hash: Hash256,
    /// Its parent's hash (need not be in the list: the branch then starts at the edge).
    pub parent: Hash256,
    /// Its height.
    pub height: u32,
    /// Who mined it (a short label such as `peer-0`), `None` if only the header is
    /// known.
    pub miner: Option<String>,
    /// The order it arrived in at the node that drew the tree: smaller came first.
    pub arrival: u64,
    /// True if it is on the node's active chain.
    pub active: bool,
}

/// Horizontal distance between two heights.
const DX: i64 = 92;
/// Vertical distance between two lanes.
const DY: i64 = 60;
/// A block's box.
const BW: i64 = 70;
const BH: i64 = 36;
const LEFT: i64 = 64;
const RIGHT: i64 = 40;
const TOP: i64 = 86;
/// Colour-blind safe fills (Okabe and Ito), with the text colour each needs.
const PALETTE: [(&str, &str); 8] = [
    ("#0072B2", "#ffffff"),
    ("#E69F00", "#111111"),
    ("#009E73", "#ffffff"),
    ("#CC79A7", "#111111"),
    ("#56B4E9", "#111111"),
    ("#D55E00", "#ffffff"),
    ("#F0E442", "#111111"),
    ("#7f7f7f", "#ffffff"),
];

fn esc(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '&' => "&amp;".to_string(),
            '"' => "&quot;".to_string(),
            c if c.is_control() => String::new(),
            c => c.to_string(),
        })
        .collect()
}

/// Cuts a label to `max` characters, marking the cut with an ellipsis.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// Lane of every block: 0 for the active chain, 1, 2, ... for stale branches. A stale
/// branch keeps one lane along its longest line of descent; a side branch takes the
/// lowest lane free over its heights.
fn lanes(blocks: &[TreeBlock]) -> Vec<usize> {
    let index: HashMap<Hash256, usize> = blocks
        .iter()
        .enumerate()
        .map(|(i, b)| (b.hash, i))
        .collect();
    let parent: Vec<Option<usize>> = blocks
        .iter()
        .map(|b| {
            index
                .get(&b.parent)
                .copied()
                .filter(|&p| blocks[p].height < b.height)
        })
        .collect();
    // Deepest height below each block (children are higher, so going down in height
    // order visits children first).
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.sort_by_key(|&i| (blocks[i].height, blocks[i].arrival));
    let mut end: Vec<u32> = blocks.iter().map(|b| b.height).collect();
    // The child that continues a block's lane: the stale child with the deepest
    // descent, the earliest arrival among equals.
    let mut cont: Vec<Option<usize>> = vec![None; blocks.len()];
    for &i in order.iter().rev() {
        if let Some(p) = parent[i] {
            end[p] = end[p].max(end[i]);
            if !blocks[i].active {
                let better = match cont[p] {
                    None => true,
                    Some(c) => {
                        (end[i], std::cmp::Reverse(blocks[i].arrival))
                            >= (end[c], std::cmp::Reverse(blocks[c].arrival))
                    }
                };
                if better {
                    cont[p] = Some(i);
                }
            }
        }
    }
    let mut lane = vec![0usize; blocks.len()];
    // Per lane, the height intervals taken.
    let mut taken: Vec<Vec<(u32, u32)>> = vec![Vec::new()];
    for &i in &order {
        if blocks[i].active {
            continue;
        }
        if let Some(p) = parent[i] {
            if !blocks[p].active && cont[p] == Some(i) {
                lane[i] = lane[p];
                continue;
            }
        }
        let span = (blocks[i].height.saturating_sub(1), end[i]);
        let free = |l: &Vec<(u32, u32)>| l.iter().all(|&(a, b)| b < span.0 || a > span.1);
        let l = match (1..taken.len()).find(|&l| free(&taken[l])) {
            Some(l) => l,
            None => {
                taken.push(Vec::new());
                taken.len() - 1
            }
        };
        taken[l].push(span);
        lane[i] = l;
    }
    lane
}

/// Draws `blocks` as an SVG picture headed by `title`. Blocks are coloured by miner,
/// the active chain solid on the top line, stale blocks faded with dashed outlines on
/// the lanes below; `#n` above a block is its rank in arrival order among the blocks
/// drawn. An empty list gives a picture that says so.
pub fn render(blocks: &[TreeBlock], title: &str) -> String {
    let lane = lanes(blocks);
    let min_h = blocks.iter().map(|b| b.height).min().unwrap_or(0);
    let max_h = blocks.iter().map(|b| b.height).max().unwrap_or(0);
    let cols = i64::from(max_h - min_h) + 1;
    let lanes_n = lane.iter().max().map_or(1, |l| l + 1) as i64;
    let x_of = |h: u32| LEFT + BW / 2 + i64::from(h - min_h) * DX;
    let y_of = |l: usize| TOP + BH / 2 + l as i64 * DY;

    // Miners in order of their first block drawn (by height, then arrival).
    let mut by_height: Vec<usize> = (0..blocks.len()).collect();
    by_height.sort_by_key(|&i| (blocks[i].height, blocks[i].arrival));
    let mut miners: Vec<String> = Vec::new();
    for &i in &by_height {
        if let Some(m) = &blocks[i].miner {
            if !miners.contains(m) {
                miners.push(m.clone());
            }
        }
    }
    let colour = |m: &str| {
        let k = miners.iter().position(|x| x == m).unwrap_or(0);
        PALETTE[k % PALETTE.len()]
    };
    // Arrival ranks among the blocks drawn.
    let mut by_arrival: Vec<usize> = (0..blocks.len()).collect();
    by_arrival.sort_by_key(|&i| (blocks[i].arrival, blocks[i].height));
    let mut rank = vec![0usize; blocks.len()];
    for (r, &i) in by_arrival.iter().enumerate() {
        rank[i] = r + 1;
    }

    let stale = blocks.iter().filter(|b| !b.active).count();
    let headers_only = blocks.iter().any(|b| b.miner.is_none());
    let width = (LEFT + cols * DX - (DX - BW) + RIGHT).max(720);
    let axis_y = y_of(lanes_n as usize - 1) + BH / 2 + 26;

    // The legend: fixed items, then one per miner, wrapped to the width.
    let mut items: Vec<(String, String)> = vec![
        (
            r##"<line x1="0" y1="0" x2="26" y2="0" stroke="#222" stroke-width="2.5"/><rect x="8" y="-6" width="10" height="12" rx="2" fill="#bbb" stroke="#111" stroke-width="1.6"/>"##
                .to_string(),
            "active chain".into(),
        ),
        (
            r##"<line x1="0" y1="0" x2="26" y2="0" stroke="#888" stroke-width="1.5" stroke-dasharray="5 3"/><rect x="8" y="-6" width="10" height="12" rx="2" fill="#bbb" fill-opacity="0.4" stroke="#555" stroke-width="1.2" stroke-dasharray="3 2"/>"##
                .to_string(),
            "stale block (off the active chain)".into(),
        ),
    ];
    if headers_only {
        items.push((
            r##"<rect x="8" y="-6" width="10" height="12" rx="2" fill="#fff" stroke="#999" stroke-dasharray="3 2"/>"##.into(),
            "header only (no block data)".into(),
        ));
    }
    items.push((
        r##"<text x="13" y="4" text-anchor="middle" font-size="10" fill="#555">#n</text>"##.into(),
        "order of arrival".into(),
    ));
    for m in &miners {
        let (fill, _) = colour(m);
        items.push((
            format!(r##"<rect x="6" y="-7" width="14" height="14" rx="3" fill="{fill}"/>"##),
            format!("mined by {}", cut(m, 24)),
        ));
    }
    let mut legend = String::new();
    let (mut lx, mut ly) = (LEFT, axis_y + 44);
    for (icon, text) in &items {
        let w = 34 + 7 * text.chars().count() as i64 + 22;
        if lx + w > width - RIGHT && lx > LEFT {
            lx = LEFT;
            ly += 22;
        }
        let _ = writeln!(
            legend,
            "<g transform=\"translate({lx},{ly})\">{icon}<text x=\"32\" y=\"4\" font-size=\"12\" fill=\"#222\">{}</text></g>",
            esc(text)
        );
        lx += w;
    }
    let height = ly + 24;

    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{LEFT}" y="30" font-size="17" font-weight="bold" fill="#111">{}</text>
<text x="{LEFT}" y="52" font-size="12.5" fill="#444">"##,
        esc(title)
    );
    if blocks.is_empty() {
        s.push_str("no blocks to draw</text>\n");
    } else {
        let _ = writeln!(
            s,
            "heights {min_h} to {max_h}: {} blocks, {} on the active chain, {stale} stale</text>",
            blocks.len(),
            blocks.len() - stale
        );
    }

    // Height grid and axis.
    let step = match cols {
        0..=30 => 1,
        31..=80 => 5,
        81..=300 => 10,
        _ => 50,
    };
    let grid_top = TOP - 12;
    s.push_str("<g stroke=\"#ececec\" stroke-width=\"1\">\n");
    for h in min_h..=max_h {
        if (h - min_h) % step == 0 || step == 1 {
            let x = x_of(h);
            let _ = writeln!(
                s,
                "<line x1=\"{x}\" y1=\"{grid_top}\" x2=\"{x}\" y2=\"{}\"/>",
                axis_y - 6
            );
        }
    }
    s.push_str("</g>\n");
    if !blocks.is_empty() {
        let _ = writeln!(
            s,
            "<line x1=\"{}\" y1=\"{axis_y}\" x2=\"{}\" y2=\"{axis_y}\" stroke=\"#333\" stroke-width=\"1\"/>",
            x_of(min_h) - BW / 2,
            x_of(max_h) + BW / 2
        );
        for h in min_h..=max_h {
            if (h - min_h) % step != 0 && h != max_h {
                continue;
            }
            let x = x_of(h);
            let _ = writeln!(
                s,
                "<line x1=\"{x}\" y1=\"{axis_y}\" x2=\"{x}\" y2=\"{}\" stroke=\"#333\"/><text x=\"{x}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#333\">{h}</text>",
                axis_y + 5,
                axis_y + 18
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#333\">height</text>",
            LEFT - 52,
            axis_y + 18
        );
    }

    // Edges under the boxes.
    let index: HashMap<Hash256, usize> = blocks
        .iter()
        .enumerate()
        .map(|(i, b)| (b.hash, i))
        .collect();
    s.push_str("<g fill=\"none\">\n");
    for (i, b) in blocks.iter().enumerate() {
        let (x, y) = (x_of(b.height), y_of(lane[i]));
        let style = if b.active {
            "stroke=\"#222\" stroke-width=\"2.5\""
        } else {
            "stroke=\"#888\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\""
        };
        match index
            .get(&b.parent)
            .filter(|&&p| blocks[p].height < b.height)
        {
            Some(&p) => {
                let (px, py) = (x_of(blocks[p].height) + BW / 2, y_of(lane[p]));
                let cx = x - BW / 2;
                if py == y {
                    let _ = writeln!(
                        s,
                        "<line x1=\"{px}\" y1=\"{py}\" x2=\"{cx}\" y2=\"{y}\" {style}/>"
                    );
                } else {
                    let m = (px + cx) / 2;
                    let _ = writeln!(
                        s,
                        "<path d=\"M{px},{py} C{m},{py} {m},{y} {cx},{y}\" {style}/>"
                    );
                }
            }
            None => {
                // The parent is below the picture: a stub from the left.
                let cx = x - BW / 2;
                let _ = writeln!(
                    s,
                    "<line x1=\"{}\" y1=\"{y}\" x2=\"{cx}\" y2=\"{y}\" {style} stroke-opacity=\"0.5\"/>",
                    cx - (DX - BW)
                );
            }
        }
    }
    s.push_str("</g>\n");

    // The boxes, stale ones first so the active chain is on top.
    let mut draw: Vec<usize> = (0..blocks.len()).collect();
    draw.sort_by_key(|&i| (blocks[i].active, blocks[i].height));
    for i in draw {
        let b = &blocks[i];
        let (x, y) = (x_of(b.height) - BW / 2, y_of(lane[i]) - BH / 2);
        let (fill, ink) = match &b.miner {
            Some(m) => colour(m),
            None => ("#ffffff", "#555555"),
        };
        let (opacity, stroke, ink) = match (b.active, b.miner.is_some()) {
            (true, _) => ("1", "stroke=\"#111\" stroke-width=\"1.8\"", ink),
            (false, true) => (
                "0.4",
                "stroke=\"#555\" stroke-width=\"1.2\" stroke-dasharray=\"4 2\"",
                "#111111",
            ),
            (false, false) => (
                "1",
                "stroke=\"#999\" stroke-width=\"1.2\" stroke-dasharray=\"4 2\"",
                ink,
            ),
        };
        let label = b
            .miner
            .as_deref()
            .map_or("header only".to_string(), |m| cut(m, 10));
        let short: String = b.hash.to_hex().chars().take(8).collect();
        let _ = writeln!(
            s,
            "<g><title>{} height {} {}{}</title>\
             <rect x=\"{x}\" y=\"{y}\" width=\"{BW}\" height=\"{BH}\" rx=\"5\" fill=\"{fill}\" fill-opacity=\"{opacity}\" {stroke}/>\
             <text x=\"{}\" y=\"{}\" font-size=\"11\" font-family=\"Menlo, Consolas, monospace\" text-anchor=\"middle\" fill=\"{ink}\">{short}</text>\
             <text x=\"{}\" y=\"{}\" font-size=\"10.5\" text-anchor=\"middle\" fill=\"{ink}\">{}</text>\
             <text x=\"{}\" y=\"{}\" font-size=\"9.5\" text-anchor=\"end\" fill=\"#666\">#{}</text></g>",
            b.hash,
            b.height,
            if b.active { "active" } else { "stale" },
            b.miner.as_ref().map_or(String::new(), |m| format!(", mined by {}", esc(m))),
            x + BW / 2,
            y + 15,
            x + BW / 2,
            y + 29,
            esc(&label),
            x + BW,
            y - 3,
            rank[i],
        );
    }
    s.push_str(&legend);
    s.push_str("</svg>\n");
    s
}

/// How many blocks of `blocks` are not on the active chain.
pub fn stale_count(blocks: &[TreeBlock]) -> usize {
    blocks.iter().filter(|b| !b.active).count()
}

/// Counts blocks per miner label (header-only blocks under `None`), for summaries.
pub fn per_miner(blocks: &[TreeBlock]) -> BTreeMap<Option<String>, (usize, usize)> {
    let mut m: BTreeMap<Option<String>, (usize, usize)> = BTreeMap::new();
    for b in blocks {
        let e = m.entry(b.miner.clone()).or_default();
        if b.active {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: u8) -> Hash256 {
        Hash256([n; 32])
    }

    fn b(n: u8, parent: u8, height: u32, miner: &str, active: bool) -> TreeBlock {
        TreeBlock {
            hash: h(n),
            parent: h(parent),
            height,
            miner: (!miner.is_empty()).then(|| miner.to_string()),
            arrival: u64::from(n),
            active,
        }
    }

    /// 0-1-2-3-4 active; 5 forks off 1 (two long: 5-6), 7 forks off 2, 8 off 5.
    fn sample() -> Vec<TreeBlock> {
        vec![
            b(1, 0, 10, "peer-0", true),
            b(2, 1, 11, "peer-1", true),
            b(3, 2, 12, "peer-0", true),
            b(4, 3, 13, "peer-2", true),
            b(5, 1, 11, "peer-2", false),
            b(6, 5, 12, "peer-2", false),
            b(7, 2, 12, "", false),
            b(8, 5, 12, "peer-1", false),
        ]
    }

    #[test]
    fn the_active_chain_is_lane_0_and_branches_do_not_overlap() {
        let blocks = sample();
        let l = lanes(&blocks);
        assert_eq!(&l[..4], &[0, 0, 0, 0]);
        // 5-6 is one branch on one lane; 7 and 8 need their own.
        assert_eq!(l[4], l[5]);
        assert!(l[4] >= 1 && l[6] >= 1 && l[7] >= 1);
        let mut seen = std::collections::BTreeSet::new();
        for (i, bl) in blocks.iter().enumerate() {
            assert!(seen.insert((bl.height, l[i])), "two blocks at one spot");
        }
    }

    #[test]
    fn the_picture_names_heights_miners_and_the_legend() {
        let svg = render(&sample(), "Block tree of <peer-0>");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("Block tree of &lt;peer-0&gt;"));
        for want in [
            "mined by peer-0",
            "mined by peer-1",
            "mined by peer-2",
            "active chain",
            "stale block",
            "header only",
            "order of arrival",
            ">height<",
            ">13<",
            "8 blocks, 4 on the active chain, 4 stale",
            &h(3).to_hex()[..8],
        ] {
            assert!(svg.contains(want), "{want} missing");
        }
        assert_eq!(svg.matches("<rect x=").count() - 6, 8, "one box per block");
    }

    #[test]
    fn an_empty_or_odd_tree_still_draws() {
        assert!(render(&[], "t").contains("no blocks to draw"));
        // A parent claimed at a greater height (hostile input) is not an edge.
        let odd = vec![b(1, 2, 5, "x", true), b(2, 1, 7, "y", false)];
        assert!(render(&odd, "t").contains("</svg>"));
    }
}
