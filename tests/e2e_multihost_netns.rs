//! A tracker and two peers on three separate hosts: Linux network namespaces joined by
//! veth pairs to a bridge, each host with its own IP. Proves nothing assumes loopback.
//! Needs root and iproute2 (CI runs as root); namespaces are removed on drop.

mod support;

use std::process::Command;
use support::process::*;

/// Runs `ip args...`, panicking with its stderr on failure.
fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("the `ip` command (iproute2) is needed for the multi-host test");
    assert!(
        out.status.success(),
        "ip {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A hub namespace with a bridge, and host namespaces attached to it.
struct Lan {
    hub: String,
    hosts: Vec<String>,
}

impl Lan {
    fn new(tag: &str, hosts: usize) -> Lan {
        let hub = format!("cc{tag}hub");
        ip(&["netns", "add", &hub]);
        let mut lan = Lan {
            hub: hub.clone(),
            hosts: Vec::new(),
        };
        ip(&["-n", &hub, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &hub, "link", "set", "br0", "up"]);
        for i in 0..hosts {
            let ns = format!("cc{tag}h{i}");
            ip(&["netns", "add", &ns]);
            lan.hosts.push(ns.clone());
            let (a, b) = (format!("cc{tag}a{i}"), format!("cc{tag}b{i}"));
            ip(&["link", "add", &a, "type", "veth", "peer", "name", &b]);
            ip(&["link", "set", &a, "netns", &ns]);
            ip(&["link", "set", &b, "netns", &hub]);
            ip(&["-n", &hub, "link", "set", &b, "master", "br0"]);
            ip(&["-n", &hub, "link", "set", &b, "up"]);
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("{}/24", lan.addr(i)),
                "dev",
                &a,
            ]);
            ip(&["-n", &ns, "link", "set", &a, "up"]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
        }
        lan
    }

    fn addr(&self, i: usize) -> String {
        format!("10.201.0.{}", i + 10)
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for ns in self.hosts.iter().chain([&self.hub]) {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

#[test]
fn tracker_and_peers_on_separate_hosts_converge() {
    let _g = serial();
    let tag = format!("{}", std::process::id() % 100_000);
    let lan = Lan::new(&tag, 3);
    let tmp = tempfile::tempdir().unwrap();
    let t = spawn(
        env!("CARGO_BIN_EXE_tracker"),
        "tracker",
        &[
            "--listen",
            &format!("{}:7878", lan.addr(0)),
            "--network",
            NET,
        ],
        &tmp.path().join("t"),
        Some(&lan.hosts[0]),
    );
    let taddr = format!("{}:7878", lan.addr(0));
    assert_eq!(t.addr, taddr);
    let mut peers = Vec::new();
    for i in 1..3 {
        let dir = tmp.path().join(format!("p{i}"));
        let dir_s = dir.display().to_string();
        let listen = format!("{}:0", lan.addr(i));
        peers.push(spawn(
            env!("CARGO_BIN_EXE_peer"),
            "peer",
            &[
                "--tracker",
                &taddr,
                "--listen",
                &listen,
                "--data-dir",
                &dir_s,
                "--network",
                NET,
                "--status-secs",
                "0",
            ],
            &dir,
            Some(&lan.hosts[i]),
        ));
    }
    let refs: Vec<&Proc> = peers.iter().collect();
    let (h, _) = wait_for(120, "peers on two hosts share one tip", || {
        same_tip(&refs, 10)
    });
    for p in &peers {
        let s = p.status().unwrap();
        assert!(s.num("peers_in") + s.num("peers_out") >= 1, "{s:?}");
        assert!(p.addr.starts_with("10.201.0."), "{}", p.addr);
    }
    eprintln!("multi-host network converged at height {h}");
}
