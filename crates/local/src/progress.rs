//! Progress for long work: a bar with counts and rate on a terminal (indicatif), plain lines
//! otherwise (logs, CI), so a redirected run still says what it did.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// One unit of long work with a known number of steps.
pub struct Progress {
    bar: Option<ProgressBar>,
    label: String,
    total: u64,
    done: u64,
    started: Instant,
    last_line: Instant,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("label", &self.label)
            .field("done", &self.done)
            .field("total", &self.total)
            .finish()
    }
}

impl Progress {
    /// Work of `total` steps called `label`; `unit` names a step (e.g. "files").
    pub fn new(label: &str, total: u64, unit: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template(&format!(
                "{{prefix:>14}} [{{bar:30}}] {{pos}}/{{len}} {unit} · {{per_sec}} · {{elapsed}} {{msg}}"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(label.to_string());
            bar
        });
        Self {
            bar,
            label: label.to_string(),
            total,
            done: 0,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    /// One more step done; `note` says what.
    pub fn step(&mut self, note: &str) {
        self.done += 1;
        match &self.bar {
            Some(bar) => {
                bar.set_message(note.to_string());
                bar.inc(1);
            }
            None => {
                // Plain lines: the first, the last, and at most one per second between.
                if self.done == 1
                    || self.done == self.total
                    || self.last_line.elapsed() >= Duration::from_secs(1)
                {
                    eprintln!("{}: {}/{} {note}", self.label, self.done, self.total);
                    self.last_line = Instant::now();
                }
            }
        }
    }

    /// `done` steps are done so far (for work whose progress is read, not counted); `note` says
    /// what.
    pub fn set(&mut self, done: u64, note: &str) {
        let done = done.min(self.total);
        if done == self.done {
            return;
        }
        self.done = done;
        match &self.bar {
            Some(bar) => {
                bar.set_message(note.to_string());
                bar.set_position(done);
            }
            None => {
                if self.done == self.total || self.last_line.elapsed() >= Duration::from_secs(1) {
                    eprintln!("{}: {}/{} {note}", self.label, self.done, self.total);
                    self.last_line = Instant::now();
                }
            }
        }
    }

    /// The work is over.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish();
        } else if self.done != self.total {
            eprintln!(
                "{}: {}/{} in {:.1} s",
                self.label,
                self.done,
                self.total,
                self.started.elapsed().as_secs_f64()
            );
        }
    }
}
