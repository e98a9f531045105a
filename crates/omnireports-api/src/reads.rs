//! Where reports read: a streaming replica (`database.read_url`) while it answers, else the
//! primary, as Rocket.Chat's `secondaryPreferred` reads do. A background check asks the
//! replica every second how far behind it is, and takes it out of, or back into, service.

use diesel::sql_types::Double;
use diesel::{PgConnection, QueryResult, QueryableByName, RunQueryDsl};
use omnireports_db::{Database, DbError};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the replica is asked whether it answers and how far behind it is.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct ReportsDb {
    primary: Database,
    replica: Option<Arc<Replica>>,
}

#[derive(Debug)]
struct Replica {
    db: Database,
    up: AtomicBool,
    /// Seconds behind the primary at the last check (0 when all it received is replayed).
    lag: Mutex<f64>,
    reads: AtomicU64,
    primary_reads: AtomicU64,
    /// Reads that went to the primary because the replica did not answer.
    fallbacks: AtomicU64,
}

/// What `/ready` and `/metrics` tell of the replica.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicaStatus {
    pub up: bool,
    pub lag_seconds: f64,
    pub reads: u64,
    pub primary_reads: u64,
    pub fallbacks: u64,
}

impl ReportsDb {
    /// Reads from `replica` when there is one, else from `primary`.
    pub fn new(primary: Database, replica: Option<Database>) -> Self {
        let replica = replica.map(|db| {
            Arc::new(Replica {
                db,
                up: AtomicBool::new(true),
                lag: Mutex::new(0.0),
                reads: AtomicU64::new(0),
                primary_reads: AtomicU64::new(0),
                fallbacks: AtomicU64::new(0),
            })
        });
        Self { primary, replica }
    }

    /// Runs `query` on the replica while it is up, and on the primary when it is down or turns
    /// out to be unreachable now (then it is out of service until the next check finds it).
    pub async fn run<T, F>(&self, query: F) -> Result<T, DbError>
    where
        F: Fn(&mut PgConnection) -> QueryResult<T> + Send + Sync + 'static,
        T: Send + 'static,
    {
        let Some(replica) = &self.replica else {
            return self.primary.run(query).await;
        };
        let query = Arc::new(query);
        if replica.up.load(Ordering::Relaxed) {
            let on_replica = Arc::clone(&query);
            match replica.db.run(move |conn| on_replica(conn)).await {
                Err(DbError::Unavailable(cause)) => replica.fail(&cause),
                done => {
                    replica.reads.fetch_add(1, Ordering::Relaxed);
                    return done;
                }
            }
        }
        replica.fallbacks.fetch_add(1, Ordering::Relaxed);
        replica.primary_reads.fetch_add(1, Ordering::Relaxed);
        self.primary.run(move |conn| query(conn)).await
    }

    /// The replica's database, for the pool metrics.
    pub fn replica(&self) -> Option<&Database> {
        self.replica.as_ref().map(|replica| &replica.db)
    }

    pub fn replica_status(&self) -> Option<ReplicaStatus> {
        let replica = self.replica.as_ref()?;
        Some(ReplicaStatus {
            up: replica.up.load(Ordering::Relaxed),
            lag_seconds: *replica.lag.lock().unwrap_or_else(|e| e.into_inner()),
            reads: replica.reads.load(Ordering::Relaxed),
            primary_reads: replica.primary_reads.load(Ordering::Relaxed),
            fallbacks: replica.fallbacks.load(Ordering::Relaxed),
        })
    }

    /// Checks the replica every [`CHECK_EVERY`], for as long as the server runs.
    pub async fn watch_replica(self) {
        let Some(replica) = self.replica else {
            return;
        };
        let mut ticks = tokio::time::interval(CHECK_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match replica.db.run(lag).await {
                Ok(seconds) => replica.back(seconds),
                Err(error) => replica.fail(&error.to_string()),
            }
        }
    }
}

impl Replica {
    fn fail(&self, cause: &str) {
        if self.up.swap(false, Ordering::Relaxed) {
            tracing::warn!(%cause, "the replica does not answer: reports read from the primary");
        }
    }

    fn back(&self, lag_seconds: f64) {
        *self.lag.lock().unwrap_or_else(|e| e.into_inner()) = lag_seconds;
        if !self.up.swap(true, Ordering::Relaxed) {
            tracing::info!(
                lag_seconds,
                "the replica answers again: reports read from it"
            );
        }
    }
}

#[derive(QueryableByName)]
struct Lag {
    #[diesel(sql_type = Double)]
    seconds: f64,
}

/// How far the replica's replay is behind: none when it has replayed all it received, else
/// the age of the last transaction it replayed.
fn lag(conn: &mut PgConnection) -> QueryResult<f64> {
    diesel::sql_query(
        "SELECT CASE WHEN NOT pg_is_in_recovery() \
                       OR pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() \
                  THEN 0 \
                  ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) \
             END::float8 AS seconds",
    )
    .get_result::<Lag>(conn)
    .map(|lag| lag.seconds)
}
