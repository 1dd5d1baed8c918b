//! Loading: version checks, validation of the bytes, the compile cache, and the types folder.

use replay_vision::runtime::{CacheOutcome, Registry, Runtime, RuntimeOptions};

use crate::support::{guest_dir, guest_path, runtime};

#[test]
fn other_wit_version_rejected() {
    let error = runtime()
        .load_file(&guest_path("guest_other_version"))
        .unwrap_err();
    assert_eq!(error.kind(), "incompatible_version", "{error}");
}

#[test]
fn other_wit_version_message() {
    let error = runtime()
        .load_file(&guest_path("guest_other_version"))
        .unwrap_err();
    assert!(
        error.to_string().contains("replay-vision:scanner@0.2.0"),
        "{error}"
    );
}

#[test]
fn truncated_component_rejected() {
    let wasm = std::fs::read(guest_path("scanner_monitor")).unwrap();
    let error = runtime()
        .load(&wasm[..wasm.len() / 2], "truncated.wasm")
        .unwrap_err();
    assert_eq!(error.kind(), "invalid_component", "{error}");
}

#[test]
fn cache_hit_on_second_load() {
    let cache = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        ..RuntimeOptions::default()
    })
    .unwrap();
    let wasm = std::fs::read(guest_path("scanner_monitor")).unwrap();
    let (_, first) = runtime.load(&wasm, "monitor").unwrap();
    let (_, second) = runtime.load(&wasm, "monitor").unwrap();
    assert_eq!(first, CacheOutcome::Compiled);
    assert_eq!(second, CacheOutcome::Hit);
}

#[test]
fn corrupt_cache_entry_recompiled() {
    let cache = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        ..RuntimeOptions::default()
    })
    .unwrap();
    let wasm = std::fs::read(guest_path("scanner_monitor")).unwrap();
    runtime.load(&wasm, "monitor").unwrap();
    for entry in std::fs::read_dir(cache.path()).unwrap() {
        std::fs::write(entry.unwrap().path(), b"not a compiled component").unwrap();
    }
    let (scanner_type, outcome) = runtime.load(&wasm, "monitor").unwrap();
    assert_eq!(outcome, CacheOutcome::Compiled);
    assert_eq!(scanner_type.id(), "monitor");
}

#[test]
fn registry_finds_types_by_id() {
    let registry = Registry::load_dir(runtime(), &guest_dir()).unwrap();
    assert!(registry.get("monitor").is_some());
}

#[test]
fn registry_records_failures() {
    let registry = Registry::load_dir(runtime(), &guest_dir()).unwrap();
    let failed: Vec<String> = registry
        .failures()
        .iter()
        .map(|(path, _)| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        failed.contains(&"guest_other_version.wasm".to_owned()),
        "{failed:?}"
    );
}
