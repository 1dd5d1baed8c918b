//! The daemon end to end: sweeps over a watched directory, the work queue on SQLite and on a
//! shared PostgreSQL, the HTTP API, and the `replay-vision daemon` binary under SIGKILL and
//! SIGTERM. Real Chromium renders, the compiled scanner types run, and the model stand-in
//! answers on loopback.

#[path = "daemon/support.rs"]
mod support;

#[path = "daemon/api.rs"]
mod api;
#[path = "daemon/posthog.rs"]
mod posthog;
#[path = "daemon/process.rs"]
mod process;
#[path = "daemon/sweeps.rs"]
mod sweeps;
#[path = "daemon/work.rs"]
mod work;
