//! End-to-end tests: the real server over real HTTP against a private PostgreSQL database.
//! All in one binary, so they share the compiled app and run in parallel.

mod util;

mod auth;
mod by_department;
mod cache;
mod dashboard;
mod errors;
mod every_report;
mod far_dates;
mod hostile;
mod import;
mod increments;
mod operations;
mod rate_limit;
mod rocketchat;
mod scripts;
mod sign_in;
mod trends;
mod vouching;
