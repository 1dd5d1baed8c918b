//! Logging through the host's `log` import. Natively (in `cargo test`) there is no host, so
//! messages go to standard error instead and the import is never called.

pub use crate::bindings::replay_vision::scanner::log::Level;

/// Sends `message` to the host's log at `level`.
pub fn log(level: Level, message: &str) {
    #[cfg(target_family = "wasm")]
    crate::bindings::replay_vision::scanner::log::log(level, message);

    #[cfg(not(target_family = "wasm"))]
    eprintln!("[{level:?}] {message}");
}
