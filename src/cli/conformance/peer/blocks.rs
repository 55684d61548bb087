//! The block cases against a peer: one crafted invalid block per validity rule (cut,
//! not adopted), and the blocks that are refused without punishment.

use super::*;

/// Builds a block with `f` applied to a valid template, re-mined, and requires a cut.
pub(super) fn block_cut(
    c: &mut PeerCtx,
    transfers: usize,
    f: fn(&mut Block, &mut Mirror),
) -> Outcome {
    attempt(|| {
        let ts = if transfers > 0 {
            c.funded_transfers(transfers as u64)?
        } else {
            vec![]
        };
        let mut b = c.template(ts)?;
        let m = c.mirror()?;
        f(&mut b, m);
        mine(&mut b, m.chain.params().pow_limit_bits);
        Ok(c.expect_block_cut(b))
    })
}

pub(super) fn b_bad_pow(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let mut b = c.template(vec![])?;
        let limit = c.t.params.pow_limit_bits;
        while crate::chain::pow::check_pow(&b.header, limit).is_ok() {
            b.header.nonce = b.header.nonce.wrapping_add(1);
        }
        Ok(c.expect_block_cut(b))
    })
}

pub(super) fn b_bad_bits(c: &mut PeerCtx) -> Outcome {
    block_cut(c, 0, |b, _| {
        // Half the target: a valid, harder compact target that is not the required one.
        let t = crate::chain::u256::U256::from_compact(b.header.bits).expect("valid bits");
        b.header.bits = t.mul_div_u64(1, 2).expect("halving fits").to_compact();
    })
}

pub(super) fn b_time_too_old(c: &mut PeerCtx) -> Outcome {
    block_cut(c, 0, |b, m| {
        b.header.time = m.chain.median_time_past(&b.header.prev).unwrap_or(0);
    })
}

pub(super) fn b_bad_merkle(c: &mut PeerCtx) -> Outcome {
    block_cut(c, 0, |b, _| b.header.merkle_root.0[0] ^= 1)
}

pub(super) fn b_no_tx(c: &mut PeerCtx) -> Outcome {
    block_cut(c, 0, |b, _| {
        b.txs.clear();
        fix_root(b);
    })
}

pub(super) fn b_missing_coinbase(c: &mut PeerCtx) -> Outcome {
    block_cut(c, 1, |b, _| {
        b.txs.remove(0);
        fix_root(b);
    })
}

pub(super) fn b_extra_coinbase(c: &mut PeerCtx) -> Outcome {
    block_cut(c, 0, |b, _| {
        let mut cb = b.txs[0];
        if let Transaction::Coinbase(x) = &mut cb {
            x.extra_nonce ^= 1;
            x.amount = 0;
        }
        b.txs.push(cb);
        fix_root(b);
    })
}

pub(super) fn b_mutated(c: &mut PeerCtx) -> Outcome {
    block_cut(c, 2, |b, _| {
        let last = b.txs[2];
        b.txs.push(last);
        fix_root(b);
    })
}

pub(super) fn b_duplicate_tx(c: &mut PeerCtx) -> Outcome {
    block_cut(c, 2, |b, _| {
        let t1 = b.txs[1];
        b.txs.insert(2, t1);
        fix_root(b);
    })
}

pub(super) fn b_coinbase_height(c: &mut PeerCtx) -> Outcome {
    block_cut(c, 0, |b, _| {
        if let Some(cb) = coinbase_mut(b) {
            cb.height += 7;
        }
        fix_root(b);
    })
}

pub(super) fn b_coinbase_amount(c: &mut PeerCtx) -> Outcome {
    block_cut(c, 0, |b, _| {
        if let Some(cb) = coinbase_mut(b) {
            cb.amount += 1;
        }
        fix_root(b);
    })
}

pub(super) fn b_bad_transfer_sig(c: &mut PeerCtx) -> Outcome {
    block_cut(c, 1, |b, _| {
        if let Transaction::Transfer(t) = &mut b.txs[1] {
            t.signature[9] ^= 0x20;
        }
        fix_root(b);
    })
}

pub(super) fn b_overspend(c: &mut PeerCtx) -> Outcome {
    block_cut(c, 1, |b, m| {
        if let Transaction::Transfer(t) = b.txs[1] {
            let spend = m.chain.balance(&m.account) + 1;
            b.txs[1] = Transaction::Transfer(m.transfer(t.recipient, spend, 0, t.sequence));
            if let Some(cb) = coinbase_mut(b) {
                cb.amount = m.chain.params().block_reward;
            }
        }
        fix_root(b);
    })
}

pub(super) fn b_bad_sequence(c: &mut PeerCtx) -> Outcome {
    block_cut(c, 1, |b, m| {
        if let Transaction::Transfer(t) = b.txs[1] {
            b.txs[1] =
                Transaction::Transfer(m.transfer(t.recipient, t.amount, t.fee, t.sequence + 9));
        }
        fix_root(b);
    })
}

pub(super) fn b_invalid_ancestor(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let mut parent = c.template(vec![])?;
        let m = c.mirror()?;
        if let Some(cb) = coinbase_mut(&mut parent) {
            cb.amount += 1;
        }
        fix_root(&mut parent);
        mine(&mut parent, m.chain.params().pow_limit_bits);
        let h = m.chain.height() + 1;
        let child = m.child_of(&parent, h, vec![]);
        let first = c.expect_block_cut(parent);
        if first != Outcome::Pass {
            return Err(Outcome::Skip(format!(
                "the invalid parent itself: {first:?}"
            )));
        }
        Ok(c.expect_block_cut(child))
    })
}

/// A block the target must neither adopt nor punish: the link stays open.
pub(super) fn block_kept_open(c: &mut PeerCtx, f: fn(&mut Block, &Mirror)) -> Outcome {
    attempt(|| {
        let mut b = c.template(vec![])?;
        let m = c.mirror()?;
        f(&mut b, m);
        mine(&mut b, m.chain.params().pow_limit_bits);
        let hash = b.hash();
        let mut p = c.fresh()?;
        p.send(&Message::Block(Arc::new(b))).map_err(fail)?;
        alive(&mut p, c.t.timeout).map_err(|e| fail(format!("not punishable, yet: {e}")))?;
        if c.is_tip(hash).map_err(fail)? {
            return Err(fail("the target adopted the block"));
        }
        Ok(Outcome::Pass)
    })
}

pub(super) fn b_time_too_new(c: &mut PeerCtx) -> Outcome {
    block_kept_open(c, |b, m| {
        b.header.time = (unix_now() + u64::from(m.chain.params().max_future_drift_secs) + 3600)
            .min(u32::MAX as u64) as u32;
    })
}

pub(super) fn b_unknown_parent(c: &mut PeerCtx) -> Outcome {
    block_kept_open(c, |b, _| {
        b.header.prev = Hash256([0x3c; 32]);
        if let Some(cb) = coinbase_mut(b) {
            cb.height = 1_000_000;
        }
        fix_root(b);
    })
}

pub(super) fn headers_not_chained(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let a = c.template(vec![])?;
        let mut b = c.template(vec![])?;
        b.header.prev = Hash256([0x44; 32]);
        mine(&mut b, c.t.params.pow_limit_bits);
        let hs: Vec<BlockHeader> = vec![a.header, b.header];
        Ok(c.expect_msg_cut(Message::Headers { headers: hs }))
    })
}
