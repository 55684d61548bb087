//! The transaction cases against a peer: relay, duplicates, account state, and each
//! refused or punished transfer class.

use super::*;

pub(super) fn relay_tx(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let t = c.funded_transfers(1)?.remove(0);
        let txid = Transaction::Transfer(t).txid();
        let mut p = c.fresh()?;
        p.send(&Message::Tx(Box::new(Transaction::Transfer(t))))
            .map_err(fail)?;
        let deadline = Instant::now() + c.t.timeout;
        loop {
            p.send(&Message::Mempool).map_err(fail)?;
            let found = p
                .wait_for(c.t.timeout, |m| match m {
                    Message::Inv { items } => Some(Ok(items.iter().any(|i| i.hash == txid))),
                    Message::Reject { hash, reason, .. } if *hash == txid => {
                        Some(Err(reason.clone()))
                    }
                    _ => None,
                })
                .map_err(fail)?
                .map_err(|r| fail(format!("a valid transfer was rejected: {r}")))?;
            if found {
                c.relayed = Some(t);
                return Ok(Outcome::Pass);
            }
            if Instant::now() >= deadline {
                return Err(fail(
                    "a valid transfer never appeared in the target's mempool",
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

pub(super) fn duplicate_tx(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let t = c
            .relayed
            .ok_or_else(|| Outcome::Skip("no transfer in the target's pool (relay.tx)".into()))?;
        let txid = Transaction::Transfer(t).txid();
        let mut p = c.fresh()?;
        p.send(&Message::Tx(Box::new(Transaction::Transfer(t))))
            .map_err(fail)?;
        let code = p
            .wait_for(c.t.timeout, |m| match m {
                Message::Reject { code, hash, .. } if *hash == txid => Some(*code),
                _ => None,
            })
            .map_err(|e| fail(format!("no reject for a transfer already in the pool: {e}")))?;
        if code != RejectCode::Duplicate {
            return Err(fail(format!("reject code {code:?}, not duplicate")));
        }
        alive(&mut p, c.t.timeout).map_err(|e| fail(format!("after the reject: {e}")))?;
        Ok(Outcome::Pass)
    })
}

pub(super) fn get_account(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let pending = u64::from(c.relayed.is_some());
        let m = c.mirror()?;
        let (account, balance, seq) = (
            m.account,
            m.chain.balance(&m.account),
            m.chain.next_sequence(&m.account),
        );
        let mut p = c.fresh()?;
        p.send(&Message::GetAccount { account }).map_err(fail)?;
        let (b, s) = p
            .wait_for(c.t.timeout, |m| match m {
                Message::Account {
                    account: a,
                    balance,
                    next_sequence,
                    ..
                } if *a == account => Some((*balance, *next_sequence)),
                _ => None,
            })
            .map_err(fail)?;
        if b != balance {
            return Err(fail(format!("balance {b}, the chain says {balance}")));
        }
        if s != seq + pending {
            return Err(fail(format!(
                "next sequence {s}, expected {} (chain {seq} + {pending} pending)",
                seq + pending
            )));
        }
        Ok(Outcome::Pass)
    })
}

/// Sends a transfer the state refuses; requires a `reject` naming it and an open link.
pub(super) fn expect_tx_rejected(c: &mut PeerCtx, t: Transfer) -> Outcome {
    attempt(|| {
        let txid = Transaction::Transfer(t).txid();
        let mut p = c.fresh()?;
        p.send(&Message::Tx(Box::new(Transaction::Transfer(t))))
            .map_err(fail)?;
        p.wait_for(c.t.timeout, |m| match m {
            Message::Reject { hash, .. } if *hash == txid => Some(()),
            _ => None,
        })
        .map_err(|e| fail(format!("no reject: {e}")))?;
        alive(&mut p, c.t.timeout).map_err(|e| {
            fail(format!(
                "an honest mistake must not cost the connection: {e}"
            ))
        })?;
        Ok(Outcome::Pass)
    })
}

pub(super) fn tx_bad_sequence(c: &mut PeerCtx) -> Outcome {
    match c.funded_transfers(1) {
        Ok(v) => {
            let m = c.mirror.as_ref().expect("funded");
            let mut t = v[0];
            t.sequence += 50;
            let t = m.transfer(t.recipient, t.amount, t.fee, t.sequence);
            expect_tx_rejected(c, t)
        }
        Err(o) => o,
    }
}

pub(super) fn tx_insufficient(c: &mut PeerCtx) -> Outcome {
    match c.funded_transfers(1) {
        Ok(v) => {
            let m = c.mirror.as_ref().expect("funded");
            let t = m.transfer(v[0].recipient, u64::MAX / 4, 1, v[0].sequence + 1);
            expect_tx_rejected(c, t)
        }
        Err(o) => o,
    }
}

pub(super) fn tx_self(c: &mut PeerCtx) -> Outcome {
    match c.funded_transfers(1) {
        Ok(v) => {
            let m = c.mirror.as_ref().expect("funded");
            let t = m.transfer(m.account, 1, 1, v[0].sequence + 1);
            expect_tx_rejected(c, t)
        }
        Err(o) => o,
    }
}

pub(super) fn tx_cut(c: &mut PeerCtx, f: fn(&mut Transfer, &Mirror)) -> Outcome {
    let pooled = usize::from(c.relayed.is_some());
    match c.funded_transfers(2) {
        Ok(v) => {
            // The next sequence after any pooled transfer, so that only the defect
            // under test is wrong.
            let mut t = v[pooled];
            f(&mut t, c.mirror.as_ref().expect("funded"));
            c.expect_msg_cut(Message::Tx(Box::new(Transaction::Transfer(t))))
        }
        Err(o) => o,
    }
}

pub(super) fn tx_bad_signature(c: &mut PeerCtx) -> Outcome {
    tx_cut(c, |t, _| t.signature[5] ^= 0x40)
}

pub(super) fn tx_high_s(c: &mut PeerCtx) -> Outcome {
    tx_cut(c, |t, _| negate_s(&mut t.signature))
}

pub(super) fn tx_zero_amount(c: &mut PeerCtx) -> Outcome {
    tx_cut(c, |t, m| *t = m.transfer(t.recipient, 0, t.fee, t.sequence))
}

pub(super) fn tx_coinbase(c: &mut PeerCtx) -> Outcome {
    let cb = c.t.params.genesis_block().txs[0];
    c.expect_msg_cut(Message::Tx(Box::new(cb)))
}
