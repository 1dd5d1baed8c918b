//! The scanner type runtime on compiled components: the built-in types give the same
//! results inside the sandbox as natively, hostile guests end in their own error kinds,
//! and loading checks versions, validates bytes and caches compiled code.
//!
//! The components come from `make guests`; the tests look for them in
//! `$CARGO_TARGET_DIR/wasm32-wasip2/guest` (or `target/` at the workspace root).

#[path = "runtime/support.rs"]
mod support;

#[path = "runtime/builtin.rs"]
mod builtin;
#[path = "runtime/configs.rs"]
mod configs;
#[path = "runtime/hostile.rs"]
mod hostile;
#[path = "runtime/loading.rs"]
mod loading;
