//! The notifications port on SQLite: registered devices and an outbox of every push "sent"
//! (recorded and logged, not delivered), so development and tests can see what a user would
//! have received.
//!
//! `<dir>/notifications.sqlite3` holds `endpoints` (one row per platform and token, with an
//! enabled flag), `outbox` (one row per push, its autoincrement id giving the newest-first
//! order) and `outbox_data` (a push's data map, one row per entry). An endpoint's text is
//! `embedded:<platform>:<row id>`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use ocean::notifications::{Device, Endpoint, Notifications, Platform, Push, SentPush};
use ocean::{Error, Result};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::db::Db;
use crate::error::{BACKEND, from_io, from_sqlite};

/// The tables; idempotent.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS endpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    token TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    registered_at_ms INTEGER NOT NULL,
    UNIQUE (platform, token)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id INTEGER NOT NULL REFERENCES endpoints (id),
    message TEXT NOT NULL,
    badge INTEGER,
    sent_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_by_endpoint ON outbox (endpoint_id, id);
CREATE TABLE IF NOT EXISTS outbox_data (
    push_id INTEGER NOT NULL REFERENCES outbox (id),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (push_id, name)
) WITHOUT ROWID;
";

/// The prefix of every endpoint this backend makes.
const ENDPOINT_PREFIX: &str = "embedded";

/// The embedded notifications backend: an outbox in SQLite.
#[derive(Debug, Clone)]
pub struct EmbeddedNotifications {
    db: Arc<Db>,
}

impl EmbeddedNotifications {
    /// Opens (creating if needed) `<dir>/notifications.sqlite3`. Blocking: call it before
    /// serving.
    pub fn open(dir: &Path) -> Result<EmbeddedNotifications> {
        std::fs::create_dir_all(dir).map_err(|e| from_io(e, "data directory"))?;
        let db = Db::open(&dir.join("notifications.sqlite3"), SCHEMA)?;
        Ok(EmbeddedNotifications { db })
    }

    /// Marks `endpoint` disabled, as a push service does when the app was uninstalled: sends
    /// to it are then [`Error::NotFound`] until its device registers again. For tests and
    /// tools; [`Error::NotFound`] if the endpoint is unknown.
    pub async fn disable(&self, endpoint: &Endpoint) -> Result<()> {
        let not_found = || Error::not_found(format!("endpoint {}", endpoint.0));
        let Some((platform, endpoint_id)) = parse_endpoint(endpoint) else {
            return Err(not_found());
        };
        let n_changed = self
            .db
            .write(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(from_sqlite)?;
                let n_changed = tx
                    .prepare_cached(
                        "UPDATE endpoints SET enabled = 0 WHERE id = ?1 AND platform = ?2",
                    )
                    .and_then(|mut update| {
                        update.execute(params![endpoint_id, platform_name(platform)])
                    })
                    .map_err(from_sqlite)?;
                tx.commit().map_err(from_sqlite)?;
                Ok(n_changed)
            })
            .await?;
        if n_changed == 0 {
            return Err(not_found());
        }
        Ok(())
    }
}

#[async_trait]
impl Notifications for EmbeddedNotifications {
    async fn register(&self, device: &Device) -> Result<Endpoint> {
        if device.token.is_empty() {
            return Err(Error::invalid("token", "a device token must not be empty"));
        }
        let platform = device.platform;
        let token = device.token.clone();
        let registered_at_ms = unix_millis(SystemTime::now());
        let endpoint_id = self
            .db
            .write(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(from_sqlite)?;
                let endpoint_id: i64 = tx
                    .prepare_cached(
                        "INSERT INTO endpoints (platform, token, enabled, registered_at_ms)
                         VALUES (?1, ?2, 1, ?3)
                         ON CONFLICT (platform, token) DO UPDATE SET enabled = 1
                         RETURNING id",
                    )
                    .and_then(|mut upsert| {
                        upsert.query_row(
                            params![platform_name(platform), token, registered_at_ms],
                            |row| row.get(0),
                        )
                    })
                    .map_err(from_sqlite)?;
                tx.commit().map_err(from_sqlite)?;
                Ok(endpoint_id)
            })
            .await?;
        Ok(endpoint_text(platform, endpoint_id))
    }

    async fn send(&self, endpoint: &Endpoint, push: &Push) -> Result<()> {
        let not_found = || Error::not_found(format!("endpoint {}", endpoint.0));
        let Some((platform, endpoint_id)) = parse_endpoint(endpoint) else {
            return Err(not_found());
        };
        let recorded = push.clone();
        let sent_at_ms = unix_millis(SystemTime::now());
        let delivered = self
            .db
            .write(move |conn| record_push(conn, platform, endpoint_id, &recorded, sent_at_ms))
            .await?;
        if !delivered {
            return Err(not_found());
        }
        tracing::info!(
            endpoint = %endpoint.0,
            message = %push.message,
            badge = ?push.badge,
            data = ?push.data,
            "push recorded in the embedded outbox"
        );
        Ok(())
    }

    async fn sent(&self, endpoint: Option<&Endpoint>, limit: u32) -> Result<Vec<SentPush>> {
        let filter = match endpoint {
            None => None,
            Some(endpoint) => match parse_endpoint(endpoint) {
                Some(parsed) => Some(parsed),
                None => return Ok(Vec::new()),
            },
        };
        self.db
            .read(move |conn| read_sent(conn, filter, limit))
            .await
    }
}

/// Records `push` to endpoint `endpoint_id` in the outbox, if that endpoint exists on
/// `platform` and is enabled; `false` (nothing written) if not.
fn record_push(
    conn: &mut Connection,
    platform: Platform,
    endpoint_id: i64,
    push: &Push,
    sent_at_ms: i64,
) -> Result<bool> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(from_sqlite)?;
    let enabled: Option<bool> = tx
        .prepare_cached("SELECT enabled FROM endpoints WHERE id = ?1 AND platform = ?2")
        .and_then(|mut select| {
            select
                .query_row(params![endpoint_id, platform_name(platform)], |row| {
                    row.get(0)
                })
                .optional()
        })
        .map_err(from_sqlite)?;
    if enabled != Some(true) {
        return Ok(false);
    }
    tx.prepare_cached(
        "INSERT INTO outbox (endpoint_id, message, badge, sent_at_ms) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut insert| {
        insert.execute(params![endpoint_id, push.message, push.badge, sent_at_ms])
    })
    .map_err(from_sqlite)?;
    let push_id = tx.last_insert_rowid();
    {
        let mut insert_data = tx
            .prepare_cached("INSERT INTO outbox_data (push_id, name, value) VALUES (?1, ?2, ?3)")
            .map_err(from_sqlite)?;
        for (name, value) in &push.data {
            insert_data
                .execute(params![push_id, name, value])
                .map_err(from_sqlite)?;
        }
    }
    tx.commit().map_err(from_sqlite)?;
    Ok(true)
}

/// One outbox row before its data is attached.
struct OutboxRow {
    push_id: i64,
    endpoint_id: i64,
    platform: String,
    message: String,
    badge: Option<u32>,
    sent_at_ms: i64,
}

/// The newest `limit` pushes, to the endpoint in `filter` (platform and row id) or to all.
fn read_sent(
    conn: &Connection,
    filter: Option<(Platform, i64)>,
    limit: u32,
) -> Result<Vec<SentPush>> {
    const COLUMNS: &str = "SELECT o.id, o.endpoint_id, e.platform, o.message, o.badge, o.sent_at_ms
         FROM outbox o JOIN endpoints e ON e.id = o.endpoint_id";
    let to_row = |row: &rusqlite::Row<'_>| {
        Ok(OutboxRow {
            push_id: row.get(0)?,
            endpoint_id: row.get(1)?,
            platform: row.get(2)?,
            message: row.get(3)?,
            badge: row.get(4)?,
            sent_at_ms: row.get(5)?,
        })
    };
    let rows = match filter {
        Some((platform, endpoint_id)) => conn
            .prepare_cached(&format!(
                "{COLUMNS} WHERE o.endpoint_id = ?1 AND e.platform = ?2 ORDER BY o.id DESC LIMIT ?3"
            ))
            .and_then(|mut select| {
                select
                    .query_map(params![endpoint_id, platform_name(platform), limit], to_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            }),
        None => conn
            .prepare_cached(&format!("{COLUMNS} ORDER BY o.id DESC LIMIT ?1"))
            .and_then(|mut select| {
                select
                    .query_map(params![limit], to_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            }),
    }
    .map_err(from_sqlite)?;
    rows.into_iter().map(|row| sent_push(conn, row)).collect()
}

/// `row` with its data, as the port's [`SentPush`].
fn sent_push(conn: &Connection, row: OutboxRow) -> Result<SentPush> {
    let data = conn
        .prepare_cached("SELECT name, value FROM outbox_data WHERE push_id = ?1")
        .and_then(|mut select| {
            select
                .query_map(params![row.push_id], |data_row| {
                    Ok((data_row.get(0)?, data_row.get(1)?))
                })?
                .collect::<rusqlite::Result<BTreeMap<String, String>>>()
        })
        .map_err(from_sqlite)?;
    let Some(platform) = parse_platform(&row.platform) else {
        return Err(corrupt(format!(
            "endpoint {} has unknown platform {:?}",
            row.endpoint_id, row.platform
        )));
    };
    let sent_at_ms = u64::try_from(row.sent_at_ms).unwrap_or(0);
    Ok(SentPush {
        endpoint: endpoint_text(platform, row.endpoint_id),
        push: Push {
            message: row.message,
            badge: row.badge,
            data,
        },
        sent_at: UNIX_EPOCH + Duration::from_millis(sent_at_ms),
    })
}

/// A backend error for a row this module could not have written.
fn corrupt(why: String) -> Error {
    Error::Backend {
        backend: BACKEND,
        source: why.into(),
    }
}

/// `platform` as stored and in endpoint texts.
fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Apns => "apns",
        Platform::ApnsSandbox => "apns_sandbox",
        Platform::Fcm => "fcm",
    }
}

/// The platform named `name` by [`platform_name`].
fn parse_platform(name: &str) -> Option<Platform> {
    [Platform::Apns, Platform::ApnsSandbox, Platform::Fcm]
        .into_iter()
        .find(|&platform| platform_name(platform) == name)
}

/// The endpoint text for row `endpoint_id` on `platform`.
fn endpoint_text(platform: Platform, endpoint_id: i64) -> Endpoint {
    Endpoint(format!(
        "{ENDPOINT_PREFIX}:{}:{endpoint_id}",
        platform_name(platform)
    ))
}

/// The platform and row id in an endpoint text this backend made; `None` for any other.
fn parse_endpoint(endpoint: &Endpoint) -> Option<(Platform, i64)> {
    let rest = endpoint
        .0
        .strip_prefix(ENDPOINT_PREFIX)?
        .strip_prefix(':')?;
    let (platform, endpoint_id) = rest.split_once(':')?;
    let endpoint_id = endpoint_id.parse::<i64>().ok()?;
    // Only the canonical spelling (no sign, no leading zeros) names an endpoint.
    if endpoint_text(parse_platform(platform)?, endpoint_id) != *endpoint {
        return None;
    }
    Some((parse_platform(platform)?, endpoint_id))
}

/// Milliseconds since the Unix epoch (0 before it).
fn unix_millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_text_round_trips() {
        for platform in [Platform::Apns, Platform::ApnsSandbox, Platform::Fcm] {
            let endpoint = endpoint_text(platform, 42);
            assert_eq!(parse_endpoint(&endpoint), Some((platform, 42)));
        }
    }

    #[test]
    fn foreign_endpoint_texts_do_not_parse() {
        for text in [
            "",
            "embedded",
            "embedded:apns",
            "embedded:apns:",
            "embedded:apns:x",
            "embedded:apns:+7",
            "embedded:apns:007",
            "embedded:gcm:7",
            "other:apns:7",
            "arn:aws:sns:us-east-1:1:endpoint/APNS/app/7",
        ] {
            assert_eq!(parse_endpoint(&Endpoint(text.to_owned())), None, "{text:?}");
        }
    }
}
