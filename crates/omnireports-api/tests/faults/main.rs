//! The real `omnireports` binary: PostgreSQL going away and coming back, a streaming replica
//! going away and coming back, overload, SIGTERM with
//! a request in flight, imports killed with SIGKILL, and what the server logs.
//!
//! The database-fault tests each run their own PostgreSQL cluster (`scripts/pg.sh`); the
//! killed-import test uses a database of `DATABASE_URL` like the other tests. They run one at a
//! time (`support::exclusive`).

mod support;

mod instances;
mod killed_import;
mod logs;
mod outage;
mod overload;
mod reconnect;
mod replica;
mod shutdown;
