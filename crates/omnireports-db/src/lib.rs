#![doc = include_str!("../README.md")]

mod blocking;
mod clock;
mod error;
mod migrate;
pub mod models;
mod pool;
pub mod schema;

pub use blocking::{Database, WaitCounters};
pub use error::DbError;
pub use migrate::{
    has_pending_migrations, revert_all_migrations, run_pending_migrations, MIGRATIONS,
    MIN_SERVER_VERSION_NUM,
};
pub use pool::{build_pool, PgPool, PoolSettings, SESSION_SETUP};

/// A pooled PostgreSQL connection.
pub type PgConnection = diesel::PgConnection;

mod restriction;
mod version;
pub use restriction::Restriction;
pub use version::data_version;
