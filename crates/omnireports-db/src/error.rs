use diesel::result::{DatabaseErrorKind, Error as DieselError};
use omnireports_error::ApiError;

/// Why a database call failed, sorted by what a client should be told.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had in time, the server went away, or a statement timed out: 503.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: 500.
    #[error("database error: {0}")]
    Internal(String),
}

impl DbError {
    /// A failed statement: `timed_out` when it ran into its `statement_timeout` (the pool's
    /// connections time their statements, whatever language PostgreSQL speaks).
    pub(crate) fn from_statement(error: DieselError, timed_out: bool) -> Self {
        match &error {
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => DbError::Unavailable(error.to_string()),
            DieselError::DatabaseError(..) if timed_out => DbError::Unavailable(error.to_string()),
            _ => DbError::Internal(error.to_string()),
        }
    }
}

/// Lost connections (diesel tells them from the connection's state and SQLSTATE class 08) are
/// 503, anything else 500: without the statement's clock a timeout cannot be told apart.
impl From<DieselError> for DbError {
    fn from(error: DieselError) -> Self {
        DbError::from_statement(error, false)
    }
}

impl From<diesel::r2d2::PoolError> for DbError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        DbError::Unavailable(error.to_string())
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Unavailable(cause) => ApiError::unavailable(cause),
            DbError::Internal(cause) => ApiError::internal(cause),
        }
    }
}
