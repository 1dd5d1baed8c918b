//! A component that exports `replay-vision:scanner/scanner-type@0.2.0`, a version the host
//! does not support, so that tests can check that loading it fails with a clear message.

wit_bindgen::generate!({
    world: "scanner",
    path: "wit",
});

#[allow(dead_code)]
struct OtherVersion;

impl exports::replay_vision::scanner::scanner_type::Guest for OtherVersion {
    fn describe() -> String {
        "other-version".to_owned()
    }
}

// A native build (`cargo test --workspace`) cannot link these export names.
#[cfg(target_family = "wasm")]
export!(OtherVersion);
