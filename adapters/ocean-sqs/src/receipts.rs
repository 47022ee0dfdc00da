//! Receipts: ocean's [`Receipt`] is `<message id>:<SQS receipt handle>`, and this instance
//! remembers the newest handle it received for each message, so `set_visibility` with a
//! handle from an earlier delivery is refused (SQS itself accepts old handles while the
//! message exists, and would change the current delivery's visibility).

use std::collections::{HashMap, VecDeque};

use ocean::queue::Receipt;
use ocean::{Error, Result};

/// How many messages' newest handles are remembered; the oldest are forgotten first.
pub(crate) const REMEMBERED_MESSAGES: usize = 10_000;

/// The port receipt for `handle` of message `message_id`.
pub(crate) fn receipt(message_id: &str, handle: &str) -> Receipt {
    Receipt(format!("{message_id}:{handle}"))
}

/// `(message id, SQS receipt handle)` of `receipt`; [`Error::Invalid`] when it was not made
/// by [`receipt`].
pub(crate) fn parse(receipt: &Receipt) -> Result<(&str, &str)> {
    match receipt.0.split_once(':') {
        Some((message_id, handle)) if !message_id.is_empty() && !handle.is_empty() => {
            Ok((message_id, handle))
        }
        _ => Err(Error::invalid(
            "receipt",
            format!("{:?} is not a receipt of this queue backend", receipt.0),
        )),
    }
}

/// The newest receipt handle of each message this instance received, bounded.
#[derive(Debug, Default)]
pub(crate) struct NewestHandles {
    /// Message id -> (newest handle, the insertion number of its entry in `order`).
    newest: HashMap<String, (String, u64)>,
    /// Insertion order, oldest first, for forgetting: (message id, insertion number).
    order: VecDeque<(String, u64)>,
    /// The next insertion number.
    next_insertion: u64,
}

impl NewestHandles {
    /// Records `handle` as the newest for `message_id`.
    pub(crate) fn received(&mut self, message_id: &str, handle: &str) {
        let insertion = self.next_insertion;
        self.next_insertion += 1;
        self.newest
            .insert(message_id.to_owned(), (handle.to_owned(), insertion));
        self.order.push_back((message_id.to_owned(), insertion));
        while self.order.len() > REMEMBERED_MESSAGES {
            let Some((oldest_id, oldest_insertion)) = self.order.pop_front() else {
                break;
            };
            // Only the entry made by that insertion goes; a newer one stays.
            if self
                .newest
                .get(&oldest_id)
                .is_some_and(|(_, insertion)| *insertion == oldest_insertion)
            {
                self.newest.remove(&oldest_id);
            }
        }
    }

    /// Whether this instance has since received `message_id` with another handle.
    pub(crate) fn is_stale(&self, message_id: &str, handle: &str) -> bool {
        self.newest
            .get(message_id)
            .is_some_and(|(newest, _)| newest != handle)
    }

    /// Forgets `message_id` (deleted).
    pub(crate) fn deleted(&mut self, message_id: &str) {
        self.newest.remove(message_id);
    }

    /// How many messages are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.newest.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_round_trip_and_garbage_is_invalid() {
        let made = receipt("id-1", "handle:with:colons");
        assert_eq!(parse(&made).unwrap(), ("id-1", "handle:with:colons"));
        for bad in ["", "no colon", ":handle", "id:"] {
            let error = parse(&Receipt(bad.to_owned())).unwrap_err();
            assert_eq!(error.kind(), ocean::ErrorKind::Invalid, "{bad:?}");
        }
    }

    #[test]
    fn an_older_handle_is_stale_and_deletion_forgets() {
        let mut handles = NewestHandles::default();
        assert!(
            !handles.is_stale("m", "h1"),
            "unknown messages are not stale"
        );
        handles.received("m", "h1");
        handles.received("m", "h2");
        assert!(handles.is_stale("m", "h1"));
        assert!(!handles.is_stale("m", "h2"));
        handles.deleted("m");
        assert!(!handles.is_stale("m", "h1"));
    }

    #[test]
    fn memory_is_bounded_and_keeps_the_newest() {
        let mut handles = NewestHandles::default();
        handles.received("kept", "h1");
        for message_idx in 0..REMEMBERED_MESSAGES {
            handles.received(&format!("m{message_idx}"), "h");
        }
        handles.received("kept", "h2");
        for message_idx in 0..REMEMBERED_MESSAGES - 1 {
            handles.received(&format!("n{message_idx}"), "h");
        }
        assert!(handles.len() <= REMEMBERED_MESSAGES);
        assert!(handles.order.len() <= REMEMBERED_MESSAGES);
        assert!(
            handles.is_stale("kept", "h1"),
            "a re-received message is kept"
        );
    }
}
