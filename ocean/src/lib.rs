//! Ocean: a project-neutral platform of typed, layered settings and storage ports.
//!
//! An application talks to its storage only through the ports here, each an object-safe
//! async trait used as `Arc<dyn Port>`: [`Records`] (keyed items with conditional writes),
//! [`Media`] (objects and presigned uploads), [`Stream`] (durable logs with checkpoints),
//! [`JobQueue`] (messages with visibility timeouts and dead letters), [`Places`] (nearest
//! city), [`Search`] (ranked substring search), [`Notifications`] (mobile push) and
//! [`Identity`] (who an external provider's access token belongs to). Adapter crates
//! implement them (an embedded zero-setup backend, AWS, PostgreSQL, Facebook's Graph API);
//! one conformance suite holds every adapter to the contracts documented on each method.
//! [`settings`] loads the typed settings that say which backend each port uses.
//!
//! Errors are kinds, not backend details: see [`Error`].
//!
//! ```
//! use ocean::records::{Condition, Item, Key, Write};
//!
//! // A create-if-absent write of a user's name record, version 1.
//! let claim = Write::Put {
//!     item: Item::new(Key::new("user_name#alice", "-"), 1, b"{\"user\":\"42\"}".to_vec()),
//!     condition: Condition::Absent,
//! };
//! assert!(claim.check().is_ok());
//! ```

#![warn(missing_docs)]

pub mod error;
pub mod identity;
pub mod media;
pub mod notifications;
pub mod places;
pub mod queue;
pub mod records;
pub mod search;
pub mod settings;
pub mod stream;

pub use error::{BoxError, Error, ErrorKind, Result};
pub use identity::Identity;
pub use media::Media;
pub use notifications::Notifications;
pub use places::Places;
pub use queue::JobQueue;
pub use records::Records;
pub use search::Search;
pub use settings::Settings;
pub use stream::Stream;

/// Checks a stream, queue, consumer or namespace name: 1 to 64 ASCII letters, digits, `_`,
/// `-` or `.`, so every backend can use it as part of its own resource names.
pub fn check_name(field: &'static str, name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("{name:?}: use 1 to 64 ASCII letters, digits, _ - ."),
        ))
    }
}
