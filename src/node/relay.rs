//! Transaction relay: inventory, download and forwarding of transfers.

use super::*;

impl Node {
    pub(super) fn on_inv(&mut self, conn: ConnId, items: Vec<InvItem>, now: Time) {
        let mut want = Vec::new();
        let mut unknown_block = false;
        for it in items {
            match it.kind {
                InvKind::Tx => {
                    if let Some(p) = self.peers.get_mut(&conn) {
                        p.known_txs.insert(it.hash);
                    }
                    if !self.mempool.contains(&it.hash) && !self.tx_requests.contains(&it.hash) {
                        let deadline = now + self.cfg.request_timeout;
                        self.tx_requests.insert(it.hash, conn, deadline);
                        self.tx_request_made(deadline);
                        want.push(it);
                    }
                }
                InvKind::Block => {
                    if let Some(p) = self.peers.get_mut(&conn) {
                        self.known.record(p, &it.hash);
                    }
                    if !self.chain.contains(&it.hash) {
                        unknown_block = true;
                    }
                }
            }
        }
        if !want.is_empty() {
            self.send(conn, Message::GetData { items: want });
        }
        if unknown_block {
            self.request_headers(conn, now);
        }
    }

    pub(super) fn on_tx(&mut self, conn: ConnId, tx: Transaction, now: Time) {
        let Transaction::Transfer(t) = tx else {
            self.punish(conn, "coinbase relayed as a transaction".into(), now);
            return;
        };
        let txid = tx.txid();
        if let Some((_, deadline)) = self.tx_requests.remove(&txid) {
            self.tx_request_done(deadline);
        }
        if let Some(p) = self.peers.get_mut(&conn) {
            p.known_txs.insert(txid);
        }
        // A transfer already in the pool is refused by the pool's first check, before
        // any signature work, and answered with `reject duplicate` like other races.
        match self
            .mempool
            .add_with(t, &self.chain, Some(&mut self.sig_cache))
        {
            Ok(_) => {
                self.credit_tx(conn, now);
                self.mining.mark_dirty();
                self.relay_tx(txid, Some(conn));
            }
            Err(e) if tx_error_punishable(&e) => {
                self.punish(conn, format!("invalid transaction {txid}: {e}"), now);
            }
            Err(e) => {
                debug!(target: "chain", "transaction {txid} not accepted: {e}");
                self.send(
                    conn,
                    Message::Reject {
                        msg_type: crate::wire::MSG_TX,
                        code: match e {
                            TxError::AlreadyInPool => RejectCode::Duplicate,
                            TxError::MempoolFull => RejectCode::Policy,
                            _ => RejectCode::Invalid,
                        },
                        hash: txid,
                        reason: e.to_string(),
                    },
                );
            }
        }
    }

    pub(super) fn relay_tx(&mut self, txid: Hash256, except: Option<ConnId>) {
        let targets: Vec<ConnId> = self
            .peers
            .iter()
            .filter(|(c, p)| Some(**c) != except && p.is_ready() && !p.known_txs.contains(&txid))
            .map(|(c, _)| *c)
            .collect();
        for c in targets {
            if let Some(p) = self.peers.get_mut(&c) {
                p.known_txs.insert(txid);
            }
            self.send(
                c,
                Message::Inv {
                    items: vec![InvItem {
                        kind: InvKind::Tx,
                        hash: txid,
                    }],
                },
            );
        }
    }
}
