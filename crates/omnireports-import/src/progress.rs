//! The progress bar of `omnireports import`: one line per collection, with documents/s.
//! Drawn on stderr only when it is a terminal (indicatif hides itself otherwise).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Progress bars, or none at all.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub enabled: bool,
}

impl Progress {
    /// A bar over the `total_bytes` of a collection's file.
    pub fn bar(&self, collection: &str, total_bytes: u64) -> Bar {
        let target = if self.enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total_bytes), target);
        bar.set_style(style("{prefix:34} [{bar:30}] {percent:>3}% {msg}"));
        bar.set_prefix(collection.to_owned());
        Bar {
            bar,
            started: Instant::now(),
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// One collection's bar.
#[derive(Debug)]
pub struct Bar {
    bar: ProgressBar,
    started: Instant,
}

impl Bar {
    pub fn update(&self, read: u64, consumed: &AtomicU64) {
        if self.bar.is_hidden() {
            return;
        }
        self.bar.set_position(consumed.load(Ordering::Relaxed));
        self.bar.set_message(format!(
            "{read} docs, {:.0} docs/s",
            rate(read, self.started.elapsed())
        ));
    }

    /// The COPY is done; the upsert into the real table runs.
    pub fn writing(&self, rows: u64) {
        self.bar.set_style(style("{prefix:34} {spinner} {msg}"));
        self.bar.set_message(format!("writing {rows} rows"));
        self.bar.enable_steady_tick(Duration::from_millis(120));
    }

    pub fn finish(&self, read: u64) {
        let elapsed = self.started.elapsed();
        self.bar.set_style(style("{prefix:34} {msg}"));
        self.bar.finish_with_message(format!(
            "{read} docs in {:.1} s, {:.0} docs/s",
            elapsed.as_secs_f64(),
            rate(read, elapsed)
        ));
    }
}

#[allow(clippy::cast_precision_loss)] // a rate for people to read
pub fn rate(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}
