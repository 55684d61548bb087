//! Inventory: the items that `inv`, `get-data` and `not-found` carry, with their
//! limit.

use super::common::read_count;
use crate::chain::hash::Hash256;
use crate::codec::{DecodeError, Reader};

/// Most items in one [`super::Message::Inv`], [`super::Message::GetData`] or
/// [`super::Message::NotFound`].
pub const MAX_INV: usize = 1000;

/// Encoded length of an [`InvItem`]: kind byte and 32-byte hash.
pub const INV_ITEM_LEN: usize = 33;

/// What an [`InvItem`] refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum InvKind {
    /// A block, by block hash.
    Block = 1,
    /// A transaction, by txid.
    Tx = 2,
}

impl InvKind {
    /// The wire byte.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// Parses the wire byte.
    ///
    /// # Errors
    /// [`DecodeError::InvalidTag`] for any value but 1 and 2.
    pub fn from_u8(tag: u8) -> Result<InvKind, DecodeError> {
        match tag {
            1 => Ok(InvKind::Block),
            2 => Ok(InvKind::Tx),
            tag => Err(DecodeError::InvalidTag {
                what: "inventory kind",
                tag,
            }),
        }
    }
}

/// One inventory entry: a block or transaction named by its hash. 33 bytes on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvItem {
    /// Block or transaction.
    pub kind: InvKind,
    /// Block hash or txid.
    pub hash: Hash256,
}

impl InvItem {
    /// Appends the 33-byte encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.kind.as_u8());
        out.extend_from_slice(&self.hash.0);
    }

    /// Reads one item.
    ///
    /// # Errors
    /// [`DecodeError::InvalidTag`] for an unknown kind, [`DecodeError::Truncated`].
    pub fn decode(r: &mut Reader<'_>) -> Result<InvItem, DecodeError> {
        let kind = InvKind::from_u8(r.u8("inventory kind")?)?;
        let hash = Hash256(r.array("inventory hash")?);
        Ok(InvItem { kind, hash })
    }
}

pub(super) fn decode_items(r: &mut Reader<'_>) -> Result<Vec<InvItem>, DecodeError> {
    let n = read_count(r, "inventory", MAX_INV, INV_ITEM_LEN)?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        items.push(InvItem::decode(r)?);
    }
    Ok(items)
}
