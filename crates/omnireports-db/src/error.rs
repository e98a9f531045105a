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

impl From<DieselError> for DbError {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => DbError::Unavailable(error.to_string()),
            // PostgreSQL reports statement_timeout (SQLSTATE 57014) with this message.
            DieselError::DatabaseError(_, info)
                if info.message().contains("statement timeout")
                    || info.message().contains("canceling statement") =>
            {
                DbError::Unavailable(error.to_string())
            }
            _ => DbError::Internal(error.to_string()),
        }
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
