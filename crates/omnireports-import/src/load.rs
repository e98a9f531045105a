//! Streams one collection file into its staging table: a reader thread parses and maps the
//! documents into COPY text chunks while this thread sends them to PostgreSQL. The channel is
//! bounded, so memory stays flat however large the file is.

use crate::error::{ImportError, Invalid, Location};
use crate::map::{self, Mapped, Mapping};
use crate::progress::Bar;
use crate::source::{CollectionFile, Documents};
use crate::staging::Staging;
use diesel::prelude::*;
use std::cell::RefCell;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// Rows per message to the COPY thread: large enough to amortise the hand-over.
const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks in flight: bounds the memory of a running import.
const CHANNEL_CHUNKS: usize = 4;
/// How many skipped documents are listed; the rest are only counted.
pub const LISTED_SKIPS: usize = 20;

/// What the reader did with one file's documents.
#[derive(Debug, Clone, Default)]
pub struct Staged {
    pub read: u64,
    pub rows: u64,
    pub ignored: u64,
    pub skipped: u64,
    /// The first [`LISTED_SKIPS`] skipped documents.
    pub skipped_at: Vec<Invalid>,
    /// The newest stamp of the imported documents ([`Mapping::stamp`]).
    pub newest: Option<chrono::DateTime<chrono::Utc>>,
}

struct Chunk {
    rows: Vec<u8>,
    read: u64,
}

/// COPYs the documents of `file`, read as `D`, into its staging table.
pub fn stage<D: Mapping>(
    conn: &mut PgConnection,
    file: &CollectionFile,
    skip_invalid: bool,
    bar: &Bar,
) -> Result<Staged, ImportError> {
    let consumed = Arc::new(AtomicU64::new(0));
    let documents = Documents::<D>::open(file, Arc::clone(&consumed))?;
    let (sender, receiver) = sync_channel(CHANNEL_CHUNKS);
    let collection = file.collection;
    let path = file.path.clone();
    let reader = std::thread::Builder::new()
        .name(format!("read {collection}"))
        .spawn(move || read(documents, &path, skip_invalid, &sender))
        .map_err(|source| ImportError::Io {
            path: file.path.clone(),
            source,
        })?;
    let copied = copy(conn, D::STAGING, receiver, bar, &consumed);
    // The receiver is gone now, so a reader blocked on a full channel has returned.
    let staged = reader
        .join()
        .map_err(|_| ImportError::ReaderPanicked { collection })?;
    copied?;
    Ok(staged)
}

/// The reader thread: documents → COPY rows, in chunks. Stops at the first error unless
/// `skip_invalid`, sending the error in place of a chunk.
fn read<D: Mapping>(
    documents: Documents<D>,
    path: &std::path::Path,
    skip_invalid: bool,
    sender: &SyncSender<Result<Chunk, ImportError>>,
) -> Staged {
    let mut staged = Staged::default();
    let mut rows = Vec::with_capacity(CHUNK_BYTES + 4096);
    for item in documents {
        let item = match item {
            Ok(item) => item,
            Err(error) => {
                let _ = sender.send(Err(error));
                return staged;
            }
        };
        staged.read += 1;
        let outcome = item.document.and_then(|doc| {
            let mapped = map::map(&doc, staged.read, &mut rows).map_err(|e| e.to_string())?;
            Ok((mapped, doc.stamp()))
        });
        match outcome {
            Ok((Mapped::Row, stamp)) => {
                staged.rows += 1;
                staged.newest = staged.newest.max(stamp);
            }
            Ok((Mapped::Ignored, stamp)) => {
                staged.ignored += 1;
                staged.newest = staged.newest.max(stamp);
            }
            Err(message) => {
                let invalid = Invalid {
                    location: Location::new(path, item.position),
                    message,
                };
                if !skip_invalid {
                    let _ = sender.send(Err(ImportError::Invalid(invalid)));
                    return staged;
                }
                staged.skipped += 1;
                if staged.skipped_at.len() < LISTED_SKIPS {
                    staged.skipped_at.push(invalid);
                }
            }
        }
        if rows.len() >= CHUNK_BYTES {
            let chunk = Chunk {
                rows: std::mem::replace(&mut rows, Vec::with_capacity(CHUNK_BYTES + 4096)),
                read: staged.read,
            };
            if sender.send(Ok(chunk)).is_err() {
                return staged; // the COPY failed; its error is reported
            }
        }
    }
    let _ = sender.send(Ok(Chunk {
        rows,
        read: staged.read,
    }));
    staged
}

/// Runs the COPY of `staging`, fed by `receiver`.
fn copy(
    conn: &mut PgConnection,
    staging: &Staging,
    receiver: Receiver<Result<Chunk, ImportError>>,
    bar: &Bar,
    consumed: &AtomicU64,
) -> Result<(), ImportError> {
    // The reader's error, kept aside: diesel reports a failed COPY as a database error.
    let failure = RefCell::new(None);
    let slot = &failure;
    let send = move |sink: &mut dyn std::io::Write| -> Result<(), ImportError> {
        for message in &receiver {
            match message {
                Ok(chunk) => {
                    sink.write_all(&chunk.rows).map_err(ImportError::Copy)?;
                    bar.update(chunk.read, consumed);
                }
                Err(error) => {
                    let message = error.to_string();
                    *slot.borrow_mut() = Some(error);
                    return Err(ImportError::Aborted(message));
                }
            }
        }
        Ok(())
    };
    let copied = staging.copy(conn, &send);
    match copied {
        Ok(_) => Ok(()),
        Err(error) => Err(failure.take().unwrap_or(error)),
    }
}
