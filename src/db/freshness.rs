//! Plans that follow the data on SQLite: a pooled connection opened before the store
//! last changed is closed at its next checkout, and a new one takes its place.
//!
//! A SQLite connection reads the planner's statistics (`sqlite_stat1`, which every
//! import refreshes with `ANALYZE`) when it loads the schema, and keeps each prepared
//! statement's plan until the schema changes; `ANALYZE` by another connection (the
//! `communique import` command beside a running server) changes neither. The server's
//! connections went on planning with statistics from before the import: a
//! source-filtered timeline on the new source took over 30 s of CPU on them against
//! 34 ms on a new connection. A watcher reads `PRAGMA data_version` (which moves when
//! any other connection commits) twice a second on a connection of its own, and the
//! pool's checkout hook retires every connection older than the last move it saw.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{ConnectOptions, Connection};

/// How often the watcher looks at the data version.
const POLL: Duration = Duration::from_millis(500);

/// When a pool's store last changed, as the watcher saw it.
pub struct Freshness {
    /// The instant `changed` counts from.
    base: Instant,
    /// Nanoseconds from `base` to the last change seen; 0 before any.
    changed: AtomicU64,
}

impl Freshness {
    /// Whether a connection opened `age` ago predates the last change seen.
    pub fn is_stale(&self, age: Duration) -> bool {
        match self.changed.load(Ordering::Relaxed) {
            0 => false,
            changed => {
                age > self
                    .base
                    .elapsed()
                    .saturating_sub(Duration::from_nanos(changed))
            }
        }
    }

    fn mark_changed(&self) {
        let nanos = u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.changed.store(nanos.max(1), Ordering::Relaxed);
    }
}

/// Starts watching the SQLite database of `url`; `None` for one that cannot be watched
/// from a second connection (an in-memory database, a URL it cannot read). The watcher
/// stops once the returned value is dropped.
pub fn watch(url: &str) -> Option<Arc<Freshness>> {
    let options = SqliteConnectOptions::from_str(url).ok()?;
    if options.get_filename().as_os_str() == ":memory:" {
        return None;
    }
    let options = options.read_only(true).create_if_missing(false);
    let freshness = Arc::new(Freshness {
        base: Instant::now(),
        changed: AtomicU64::new(0),
    });
    tokio::spawn(follow(options, Arc::downgrade(&freshness)));
    Some(freshness)
}

/// Reads the data version every [`POLL`] until `freshness` is gone, marking each move.
async fn follow(options: SqliteConnectOptions, freshness: Weak<Freshness>) {
    let mut connection: Option<SqliteConnection> = None;
    let mut version = None;
    loop {
        tokio::time::sleep(POLL).await;
        let Some(freshness) = freshness.upgrade() else {
            if let Some(connection) = connection {
                connection.close().await.ok();
            }
            return;
        };
        if connection.is_none() {
            // The file may not exist yet; try again at the next look.
            connection = options.connect().await.ok();
        }
        let Some(open) = connection.as_mut() else {
            continue;
        };
        match sea_orm::sqlx::query_scalar::<_, i64>("PRAGMA data_version")
            .fetch_one(&mut *open)
            .await
        {
            Ok(now) => {
                if version.is_some_and(|seen| seen != now) {
                    freshness.mark_changed();
                }
                version = Some(now);
            }
            Err(_) => connection = None,
        }
    }
}
