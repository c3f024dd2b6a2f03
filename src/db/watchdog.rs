//! SQLite's statement timeout: a progress handler that interrupts a statement once it
//! has run for the timeout, whatever the load on the machine.
//!
//! SQLite says nothing when a statement starts; it calls a progress handler every
//! [`OPS`] virtual-machine steps while one runs. The handler used to take a pause of
//! over 20 ms between two calls for the start of a new statement: on a saturated
//! machine a statement's thread waits longer than that for a core, so its clock kept
//! starting again, and statements past their request's 504 ran on for seconds to
//! minutes, holding every pooled connection. The handler now asks SQLite which
//! statements are running, and for how many runs each has gone: a clock starts only
//! with a run it has not seen.

use std::ptr::NonNull;
use std::time::{Duration, Instant};

use libsqlite3_sys as ffi;

/// Virtual-machine steps between two calls of the watchdog: about a millisecond of work.
pub const OPS: i32 = 10_000;

/// One run of one prepared statement: its address and how many runs it had before.
type Run = (usize, i32);

/// A connection's handle, read by the progress handler on the thread that runs the
/// connection's statements.
struct Handle(NonNull<ffi::sqlite3>);

// SAFETY: the handle is only used inside the progress handler, which SQLite calls on
// the thread stepping a statement of this connection while it holds the connection's
// mutex; the connection owns the handler, so the handle outlives every call.
unsafe impl Send for Handle {}

impl Handle {
    /// The runs under way now: every prepared statement that has been stepped and not
    /// yet reset (the one sent, and those a full-text search prepares for itself).
    fn running(&self, into: &mut Vec<Run>) {
        into.clear();
        let db = self.0.as_ptr();
        // SAFETY: `db` is this connection's open handle (see `Send` above), and each
        // `statement` comes from SQLite's own list of the connection's statements.
        unsafe {
            let mut statement = ffi::sqlite3_next_stmt(db, std::ptr::null_mut());
            while !statement.is_null() {
                if ffi::sqlite3_stmt_busy(statement) != 0 {
                    let runs = ffi::sqlite3_stmt_status(statement, ffi::SQLITE_STMTSTATUS_RUN, 0);
                    into.push((statement as usize, runs));
                }
                statement = ffi::sqlite3_next_stmt(db, statement);
            }
        }
    }
}

/// The progress handler of the connection `handle`: true to go on, false to interrupt
/// once the oldest run under way has worked for `timeout`.
///
/// # Safety
///
/// `handle` must be the handle of the connection the handler is installed on.
pub unsafe fn handler(
    handle: NonNull<ffi::sqlite3>,
    timeout: Duration,
) -> impl FnMut() -> bool + Send + 'static {
    let handle = Handle(handle);
    let mut now_running = Vec::new();
    // Each run seen, with when it was first seen.
    let mut clocks: Vec<(Run, Instant)> = Vec::new();
    move || {
        let now = Instant::now();
        handle.running(&mut now_running);
        clocks.retain(|(run, _)| now_running.contains(run));
        for run in &now_running {
            if !clocks.iter().any(|(seen, _)| seen == run) {
                clocks.push((*run, now));
            }
        }
        clocks
            .iter()
            .map(|(_, since)| now.duration_since(*since))
            .max()
            .is_none_or(|worked| worked < timeout)
    }
}
