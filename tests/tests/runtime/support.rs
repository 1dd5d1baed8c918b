//! Shared set-up: one runtime per test binary, compiled components by file name, and the
//! conversion of native SDK values to host values through their shared serde shape.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use replay_vision::runtime::{Limits, Runtime, RuntimeOptions, ScannerType};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Returns the folder that `make guests` writes components to.
pub fn guest_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("wasm32-wasip2").join("guest")
}

/// Returns the path of a compiled guest, or fails with the command that builds it.
pub fn guest_path(name: &str) -> PathBuf {
    let path = guest_dir().join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is missing; run `make guests` first",
        path.display()
    );
    path
}

/// Returns the runtime shared by the tests of this binary. Its compile cache is a temporary
/// folder that lives as long as the process.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let cache = tempfile::tempdir().expect("create a cache folder").keep();
        Runtime::new(RuntimeOptions {
            cache_dir: Some(cache),
            limits: Limits::default(),
        })
        .expect("build the runtime")
    })
}

/// Loads a compiled guest once per process.
pub fn load(name: &str) -> ScannerType {
    static LOADED: OnceLock<Mutex<HashMap<String, ScannerType>>> = OnceLock::new();
    let loaded = LOADED.get_or_init(Default::default);
    let mut loaded = loaded
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    loaded
        .entry(name.to_owned())
        .or_insert_with(|| {
            runtime()
                .load_file(&guest_path(name))
                .unwrap_or_else(|error| panic!("load {name}: {error}"))
        })
        .clone()
}

/// Converts a value between the SDK's and the host's generated types, which share one
/// serde shape because both come from the same WIT.
pub fn convert<From: Serialize, To: DeserializeOwned>(value: &From) -> To {
    let json = serde_json::to_value(value).expect("serialise");
    serde_json::from_value(json).expect("the SDK and host types have the same shape")
}

/// Returns the serde shape of a value, for comparing SDK and host results.
pub fn shape<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("serialise")
}
