//! Helpers of the render tests: renderers with a private cache, fixture loading, synthetic
//! rrweb documents, JPEG pixel reads and ffprobe.

use std::path::{Path, PathBuf};
use std::process::Command;

use replay_vision::recording;
use replay_vision::render::{RenderSettings, Renderer, SessionEvents};
use serde_json::{json, Value};

/// Returns the path of a file under `tests/data`.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

/// Loads a test recording through the recording module.
pub fn fixture(name: &str) -> SessionEvents {
    let recording = recording::load(&data(name)).expect("fixture loads");
    SessionEvents::from_recording(&recording)
}

/// Returns render settings with a private cache directory and a short frame cap.
pub fn settings(cache: &Path) -> RenderSettings {
    let mut settings = RenderSettings {
        cache_dir: cache.to_owned(),
        step_timeout_s: 30,
        ..RenderSettings::default()
    };
    settings.frames.max_frames = 60;
    settings
}

/// Creates a renderer over `settings`.
pub fn renderer(settings: RenderSettings) -> Renderer {
    Renderer::new(settings).expect("player assets are installed (npm ci --prefix host/player)")
}

/// Builds an element node of rrweb's serialized DOM.
pub fn element(id: u64, tag: &str, attributes: Value, children: Vec<Value>) -> Value {
    json!({"type": 2, "id": id, "tagName": tag, "attributes": attributes, "childNodes": children})
}

/// Builds a FullSnapshot event whose document is `<html><head>{head}</head><body>{body}</body>`.
/// Ids 1 to 5 are the document, doctype, html, head and body.
pub fn full_snapshot(at: i64, body_style: &str, head: Vec<Value>, body: Vec<Value>) -> Value {
    let html = element(
        3,
        "html",
        json!({}),
        vec![
            element(4, "head", json!({}), head),
            element(5, "body", json!({"style": body_style}), body),
        ],
    );
    let doctype = json!({"type": 1, "id": 2, "name": "html", "publicId": "", "systemId": ""});
    json!({
        "type": 2,
        "timestamp": at,
        "data": {
            "node": {"type": 0, "id": 1, "childNodes": [doctype, html]},
            "initialOffset": {"left": 0, "top": 0}
        }
    })
}

/// Builds a Meta event.
pub fn meta(at: i64, href: &str) -> Value {
    json!({"type": 4, "timestamp": at, "data": {"href": href, "width": 1280, "height": 688}})
}

/// Builds a mouse move to (x, y) over node 5.
pub fn mouse_move(at: i64, x: i64, y: i64) -> Value {
    json!({"type": 3, "timestamp": at, "data": {"source": 1, "positions": [{"x": x, "y": y, "id": 5, "timeOffset": 0}]}})
}

/// Builds a click at (x, y) on node 5.
pub fn click(at: i64, x: i64, y: i64) -> Value {
    json!({"type": 3, "timestamp": at, "data": {"source": 2, "type": 2, "id": 5, "x": x, "y": y}})
}

/// Builds a Mutation that sets the body's `style` attribute.
pub fn body_style(at: i64, style: &str) -> Value {
    json!({"type": 3, "timestamp": at, "data": {
        "source": 0, "texts": [], "removes": [], "adds": [],
        "attributes": [{"id": 5, "attributes": {"style": style}}]
    }})
}

/// Decodes a JPEG and returns the RGB pixel at (x, y).
pub fn pixel(path: &Path, x: usize, y: usize) -> [u8; 3] {
    let bytes = std::fs::read(path).expect("frame readable");
    let mut decoder = jpeg_decoder::Decoder::new(bytes.as_slice());
    let pixels = decoder.decode().expect("frame is a JPEG");
    let width = usize::from(decoder.info().expect("JPEG header").width);
    let at = (y * width + x) * 3;
    [pixels[at], pixels[at + 1], pixels[at + 2]]
}

/// Returns (frame count, duration in seconds) of a video's first stream, from ffprobe.
pub fn probe(video: &Path) -> (usize, f64) {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-count_frames"])
        .args([
            "-show_entries",
            "stream=nb_read_frames,duration",
            "-of",
            "json",
        ])
        .arg(video)
        .output()
        .expect("ffprobe runs");
    let report: Value = serde_json::from_slice(&output.stdout).expect("ffprobe JSON");
    let stream = &report["streams"][0];
    let frames = stream["nb_read_frames"]
        .as_str()
        .and_then(|s| s.parse().ok());
    let duration = stream["duration"].as_str().and_then(|s| s.parse().ok());
    (frames.expect("frame count"), duration.expect("duration"))
}
