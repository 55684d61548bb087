//! `sim --tree-svg`: the picture of a small forking run draws every stale block (as
//! the `--trace` of the same run lists them), marked stale, and an unwritable path
//! fails before the run.

use std::process::Command;

#[test]
fn the_tree_svg_of_a_forking_run_draws_every_stale_block() {
    let dir = std::env::temp_dir().join(format!("sim_tree_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let svg = dir.join("tree.svg");
    let trace = dir.join("trace.jsonl");
    // Long links against short block times: many forks.
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args([
            "--nodes",
            "8",
            "--miners",
            "8",
            "--topology",
            "mesh",
            "--latency",
            "fixed:1500",
            "--block-interval",
            "5",
            "--blocks",
            "40",
            "--seed",
            "3",
            "--quiet",
            "--tree-svg",
        ])
        .arg(&svg)
        .arg("--trace")
        .arg(&trace)
        .output()
        .expect("sim runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg_text = std::fs::read_to_string(&svg).expect("svg written");
    let trace_text = std::fs::read_to_string(&trace).expect("trace written");
    let field = |line: &str, key: &str| -> String {
        let at = line.find(&format!("\"{key}\":")).expect("field") + key.len() + 3;
        line[at..]
            .split([',', '}'])
            .next()
            .expect("value")
            .trim_matches('"')
            .to_string()
    };
    let blocks: Vec<&str> = trace_text
        .lines()
        .filter(|l| l.contains("\"type\":\"block\""))
        .collect();
    let stale: Vec<&&str> = blocks
        .iter()
        .filter(|l| l.contains("\"best\":false"))
        .collect();
    assert!(
        stale.len() >= 3,
        "the run should fork: {} stale",
        stale.len()
    );
    for l in &blocks {
        let state = if l.contains("\"best\":false") {
            "stale"
        } else {
            "active"
        };
        let title = format!(
            "<title>{} height {} {state}, mined by node-{}</title>",
            field(l, "hash"),
            field(l, "height"),
            field(l, "miner")
        );
        assert!(svg_text.contains(&title), "missing {title}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_tree_svg_path_fails_before_the_run() {
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args([
            "--nodes",
            "4",
            "--blocks",
            "100000",
            "--tree-svg",
            "/nonexistent-dir/t.svg",
        ])
        .output()
        .expect("sim runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot write --tree-svg"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
