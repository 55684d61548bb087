//! The simulated network: addresses, connection ends, latency, bandwidth, loss,
//! duplication and partitions.

use super::engine::{Ev, Sim, SimError};
use super::hosts::HostId;
use super::model::unit;
use super::time::{SimDuration, SimTime};
use super::Topology;
use crate::service::{ConnId, Direction, DisconnectReason, Role};
use crate::wire::{Message, MSG_VERACK, MSG_VERSION};
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The port every simulated node listens on (each has its own virtual IP).
pub const LISTEN_PORT: u16 = 8333;

/// The virtual address of the tracker.
pub const TRACKER_ADDR: SocketAddr =
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 255, 255, 254)), 7000);

/// Most nodes a run may have (each needs its own 127.x.y.z address).
pub const MAX_NODES: usize = 1 << 20;

/// One end of a simulated connection: the fields sending and delivering a message
/// read, in 32 bytes (two ends per cache line); the rest is in [`EndInfo`].
#[derive(Debug)]
pub(super) struct End {
    pub(super) host: HostId,
    pub(super) inc: u32,
    /// The other end's id (ids fit in 32 bits, see [`Sim::new_end`]).
    pub(super) remote: u32,
    pub(super) open: bool,
    pub(super) established: bool,
    pub(super) lat: SimDuration,
    /// Arrival time of the last message sent from this end (in-order delivery).
    pub(super) last_arrival: SimTime,
}

/// What else the simulator knows about one end of a connection (read when it opens,
/// closes or is cut, not per message).
#[derive(Debug)]
pub(super) struct EndInfo {
    pub(super) remote_host: HostId,
    /// The remote address as this end sees it.
    pub(super) addr: SocketAddr,
    pub(super) role: Role,
    pub(super) dir: Direction,
}

pub(super) fn node_ip(i: usize) -> IpAddr {
    let n = i as u32 + 1;
    IpAddr::V4(Ipv4Addr::new(127, (n >> 16) as u8, (n >> 8) as u8, n as u8))
}

/// The listen address of node `i`.
pub fn node_addr(i: usize) -> SocketAddr {
    SocketAddr::new(node_ip(i), LISTEN_PORT)
}

pub(super) fn node_of_addr(addr: SocketAddr) -> Option<usize> {
    if addr.port() != LISTEN_PORT {
        return None;
    }
    match addr.ip() {
        IpAddr::V4(v) => {
            let o = v.octets();
            if o[0] != 127 {
                return None;
            }
            let n = (o[1] as usize) << 16 | (o[2] as usize) << 8 | o[3] as usize;
            n.checked_sub(1)
        }
        IpAddr::V6(_) => None,
    }
}

impl Sim {
    pub(super) fn side(&self, h: HostId) -> Option<u32> {
        (h != self.tracker_host).then_some(u32::from(h.index() >= self.cfg.nodes / 2))
    }

    /// True if a partition separates the two hosts now (the tracker reaches both).
    pub(super) fn cut(&self, a: HostId, b: HostId) -> bool {
        self.partitioned && matches!((self.side(a), self.side(b)), (Some(x), Some(y)) if x != y)
    }

    /// Closes every open connection of `h` without telling `h` (it is going away); the
    /// remote ends learn it after the link latency.
    pub(super) fn close_all(&mut self, h: HostId) {
        let list = std::mem::take(&mut self.host_conns[h.index()]);
        for c in list {
            let e = &mut self.conns[c as usize];
            if !e.open {
                continue;
            }
            e.open = false;
            let at = (self.clock + e.lat).max(e.last_arrival);
            let r = ConnId::from(e.remote);
            self.schedule(at, Ev::RemoteClose(r));
        }
    }

    pub(super) fn new_end(
        &mut self,
        host: HostId,
        remote_host: HostId,
        addr: SocketAddr,
        role: Role,
        dir: Direction,
        lat: SimDuration,
    ) -> Result<ConnId, SimError> {
        // Ids are never reused; ends store the other end's id in 32 bits.
        let id = u32::try_from(self.conns.len())
            .map_err(|_| SimError::Config("more than 2^32 connection ends".into()))?;
        self.conns.push(End {
            host,
            inc: self.hosts[host.index()].inc,
            remote: 0,
            open: true,
            established: false,
            lat,
            last_arrival: SimTime(0),
        });
        self.conn_info.push(EndInfo {
            remote_host,
            addr,
            role,
            dir,
        });
        let id = ConnId::from(id);
        self.host_conns[host.index()].push(id);
        Ok(id)
    }

    /// Joins two new ends `a` and `b` (ids from [`Sim::new_end`], so they fit).
    pub(super) fn pair_ends(&mut self, a: ConnId, b: ConnId) {
        self.conns[a as usize].remote = b as u32;
        self.conns[b as usize].remote = a as u32;
    }

    /// The address `h` appears to connect from: its IP and an ephemeral port.
    pub(super) fn source_addr(&self, h: HostId, conn: ConnId) -> SocketAddr {
        let ip = if h == self.tracker_host {
            TRACKER_ADDR.ip()
        } else {
            node_ip(h.index())
        };
        SocketAddr::new(ip, 10_000 + (conn % 50_000) as u16)
    }

    /// Wires `a` (outbound) to `b` (inbound) at once, as the simulator's own topology.
    pub(super) fn connect_pair(&mut self, a: usize, b: usize) -> Result<(), SimError> {
        let (ha, hb) = (HostId::node(a), HostId::node(b));
        let lat = self.link_latency(ha, hb);
        let ca = self.new_end(ha, hb, node_addr(b), Role::Peer, Direction::Outbound, lat)?;
        let cb = self.new_end(
            hb,
            ha,
            SocketAddr::new(node_ip(a), 0),
            Role::Peer,
            Direction::Inbound,
            lat,
        )?;
        let src = self.source_addr(ha, ca);
        self.conn_info[cb as usize].addr = src;
        self.pair_ends(ca, cb);
        self.conns[ca as usize].established = true;
        self.conns[cb as usize].established = true;
        let now = self.now_of(hb);
        if let Some(s) = self.service(hb) {
            s.on_connected(cb, src, Direction::Inbound, Role::Peer, now);
        }
        let now = self.now_of(ha);
        if let Some(s) = self.service(ha) {
            s.on_connected(ca, node_addr(b), Direction::Outbound, Role::Peer, now);
        }
        self.drain(hb)?;
        self.drain(ha)
    }

    pub(super) fn connect(&mut self, h: HostId, addr: SocketAddr, role: Role) {
        let target = if addr == TRACKER_ADDR {
            Some(self.tracker_host)
        } else {
            node_of_addr(addr)
                .filter(|&i| i < self.cfg.nodes)
                .map(HostId::node)
        };
        let lat = self.link_latency(h, target.unwrap_or(h));
        let inc = self.hosts[h.index()].inc;
        match target {
            Some(to) if self.alive(to) && !self.cut(h, to) => {
                self.schedule(
                    self.clock + lat,
                    Ev::Accept {
                        from: h,
                        from_inc: inc,
                        to,
                        role,
                        addr,
                        lat,
                    },
                );
            }
            _ => self.schedule(
                self.clock + 2 * lat.us().max(500),
                Ev::ConnectFailed {
                    host: h,
                    inc,
                    addr,
                    role,
                },
            ),
        }
    }

    pub(super) fn send(&mut self, h: HostId, conn: ConnId, msg: Message) {
        let Some(e) = self.conns.get(conn as usize) else {
            return;
        };
        if !e.open || e.host != h || !e.established {
            return;
        }
        let size = self.wire_size(&msg);
        let ty = msg.msg_type();
        self.messages += 1;
        self.bytes += size;
        if let Some(s) = self.msg_by_type.get_mut(ty as usize) {
            s.0 += 1;
            s.1 += size;
        }
        let handshake = ty == MSG_VERSION || ty == MSG_VERACK;
        if self.cfg.loss > 0.0 && !handshake && unit(&mut self.rng_net) < self.cfg.loss {
            self.lost_msgs += 1;
            return;
        }
        let dup = self.cfg.dup > 0.0 && !handshake && unit(&mut self.rng_net) < self.cfg.dup;
        let mut done = self.clock;
        let remote = e.remote;
        if let Some(us) = self.upload_us(h, remote, size) {
            let start = done.max(self.hosts[h.index()].upload_free);
            done = start + us;
            self.hosts[h.index()].upload_free = done;
        }
        let e = &mut self.conns[conn as usize];
        let arrival = (done + e.lat).max(e.last_arrival);
        e.last_arrival = arrival;
        let r = ConnId::from(e.remote);
        if dup {
            self.dup_msgs += 1;
            self.schedule(arrival, Ev::Deliver(r, msg.clone()));
        }
        self.schedule(arrival, Ev::Deliver(r, msg));
    }

    pub(super) fn partition_start(&mut self) -> Result<(), SimError> {
        self.partitioned = true;
        let mut cut = Vec::new();
        for (c, (e, info)) in self.conns.iter().zip(&self.conn_info).enumerate() {
            if e.open && info.dir == Direction::Outbound && self.cut(e.host, info.remote_host) {
                cut.push(c as ConnId);
            }
        }
        let reason = DisconnectReason::Io("network partition".into());
        for c in cut {
            let (h, r, rh, est) = {
                let e = &self.conns[c as usize];
                let rh = self.conn_info[c as usize].remote_host;
                (e.host, ConnId::from(e.remote), rh, e.established)
            };
            self.cut_pairs.push((h, rh));
            for (conn, host, tell) in [(c, h, est), (r, rh, true)] {
                let e = &mut self.conns[conn as usize];
                if !e.open {
                    continue;
                }
                e.open = false;
                if tell {
                    let now = self.now_of(host);
                    if let Some(s) = self.service(host) {
                        s.on_disconnected(conn, &reason, now);
                    }
                    self.drain(host)?;
                }
            }
        }
        Ok(())
    }

    pub(super) fn partition_heal(&mut self) -> Result<(), SimError> {
        self.partitioned = false;
        self.last_heal = Some(self.clock);
        self.converged_after_heal = None;
        let mut linked = BTreeSet::new();
        for (e, info) in self.conns.iter().zip(&self.conn_info) {
            let rh = info.remote_host;
            if e.open && e.host != self.tracker_host && rh != self.tracker_host {
                linked.insert((e.host.min(rh), e.host.max(rh)));
            }
        }
        let pairs: Vec<(HostId, HostId)> = match self.cfg.topology {
            Topology::Mesh => {
                let n = self.cfg.nodes;
                (1..n)
                    .flat_map(|b| (0..b).map(move |a| (HostId::node(a), HostId::node(b))))
                    .collect()
            }
            Topology::Tracker { .. } | Topology::Graph { .. } => {
                std::mem::take(&mut self.cut_pairs)
            }
        };
        for (a, b) in pairs {
            let key = (a.min(b), a.max(b));
            if self.alive(a) && self.alive(b) && !linked.contains(&key) {
                linked.insert(key);
                self.connect_pair(a.index(), b.index())?;
            }
        }
        if self.tips_agree() {
            self.converged_after_heal = Some(SimDuration(0));
        }
        Ok(())
    }
}
