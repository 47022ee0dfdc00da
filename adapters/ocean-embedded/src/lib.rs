//! Every `ocean` port with zero set-up: SQLite databases (WAL) and media files in one data
//! directory, so the product runs anywhere with no server and no cloud account.
//!
//! Each port keeps its own SQLite file (`records.sqlite3`, `stream.sqlite3`, ...) so one
//! port's writes never wait on another's. Blocking calls run on tokio's blocking pool, so
//! every type here needs a tokio runtime. Several processes may share a data directory
//! (SQLite's file locks serialise their writes).

mod db;
mod error;
mod group_commit;
pub mod media;
pub mod notifications;
pub mod places;
pub mod queue;
pub mod records;
pub mod search;
pub mod stream;

pub use media::{EmbeddedMedia, MediaOptions};
pub use notifications::EmbeddedNotifications;
pub use places::{EmbeddedPlaces, PlacesOptions};
pub use queue::{EmbeddedQueue, QueueOptions};
pub use records::EmbeddedRecords;
pub use search::EmbeddedSearch;
pub use stream::EmbeddedStream;
