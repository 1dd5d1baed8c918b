//! The `replay-vision` program as a user runs it: the README's dry run with no model key, a full
//! scan against the model stand-in configured in `replay-vision.toml`, reading the stored
//! observation back, and scanner files from templates. The binary is the one `cargo build -p
//! replay-vision` wrote beside this test (or `REPLAY_VISION_BIN`).

use std::path::{Path, PathBuf};
use std::process::Output;

use replay_vision_tests::rig::{recording_path, repository};
use replay_vision_tests::standin::{Reply, StandIn};

fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("REPLAY_VISION_BIN") {
        return PathBuf::from(path);
    }
    let test = std::env::current_exe().expect("the test binary's path");
    let profile_dir = test
        .parent()
        .and_then(Path::parent)
        .expect("tests run from <target>/<profile>/deps");
    let binary = profile_dir.join("replay-vision");
    assert!(
        binary.is_file(),
        "{} is missing; run `cargo build -p replay-vision` first (`make test` does)",
        binary.display()
    );
    binary
}

/// A cache folder shared by the tests of this file, so that compiled components are reused.
fn shared_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-cache")
}

/// Runs the program in `folder` with no model keys in its environment.
async fn run(folder: &Path, args: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(binary());
    command
        .args(args)
        .current_dir(folder)
        .env_remove("GEMINI_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env(
            "REPLAY_VISION_TYPES_DIR",
            repository().join("scanner-types"),
        )
        .env("XDG_CACHE_HOME", shared_cache());
    command.output().await.expect("the program runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn scan_without_key_is_dry_run() {
    let folder = tempfile::tempdir().unwrap();
    let recording = recording_path("posthog-com-homepage-desktop-scroll.json");
    let output = run(
        folder.path(),
        &["scan", recording.to_str().unwrap(), "--scanner", "dead_end"],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("No model is configured"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("GEMINI_API_KEY"));
    let printed = stdout(&output);
    assert!(printed.contains("dry run"), "{printed}");
    assert!(printed.contains("request.json"), "{printed}");
    let dry_run = folder.path().join(".replay-vision/dry-run");
    let session_dirs: Vec<_> = std::fs::read_dir(&dry_run).unwrap().collect();
    assert_eq!(session_dirs.len(), 1);
    let scanner_dir = session_dirs[0]
        .as_ref()
        .unwrap()
        .path()
        .join("dead-end-pages");
    assert!(scanner_dir.join("video.mp4").is_file());
    assert!(scanner_dir.join("request.json").is_file());
    assert!(scanner_dir.join("estimate.json").is_file());

    let listed = run(folder.path(), &["observations", "list", "--json"]).await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert_eq!(stdout(&listed).trim(), "[]", "a dry run stores nothing");
}

#[tokio::test]
async fn scan_with_standin_stores_observation() {
    let folder = tempfile::tempdir().unwrap();
    let standin = StandIn::start().await;
    standin.script([Reply::answer(
        r#"{"reasoning": "The user opened the Docker guide (t 10) and read it.", "verdict": "no", "confidence": 0.6}"#,
    )]);
    let config = format!(
        "[provider]\nname = \"openai\"\nmodel = \"gemini-3.5-flash\"\n\
         [provider.openai]\nbase_url = \"{}\"\napi_key_env = \"RV_CLI_TEST_KEY\"\n",
        standin.openai_base_url()
    );
    std::fs::write(folder.path().join("replay-vision.toml"), config).unwrap();
    let recording = recording_path("posthog-com-docs-2-snapshots-short.json");
    let mut command = tokio::process::Command::new(binary());
    let output = command
        .args([
            "scan",
            recording.to_str().unwrap(),
            "--scanner",
            "dead_end",
            "--json",
        ])
        .current_dir(folder.path())
        .env("RV_CLI_TEST_KEY", standin.key())
        .env(
            "REPLAY_VISION_TYPES_DIR",
            repository().join("scanner-types"),
        )
        .env("XDG_CACHE_HOME", shared_cache())
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let outcomes: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let observation = &outcomes[0]["observation"];
    assert_eq!(outcomes[0]["outcome"], "stored");
    assert_eq!(observation["state"], "succeeded");
    assert_eq!(observation["output"]["verdict"], "no");
    let id = observation["id"].as_str().unwrap().to_string();
    assert_eq!(standin.model_requests().len(), 1);

    let shown = run(folder.path(), &["observations", "show", &id]).await;
    assert!(shown.status.success(), "{}", stderr(&shown));
    let text = stdout(&shown);
    assert!(text.contains("succeeded"), "{text}");
    assert!(text.contains("verdict: no"), "{text}");
    assert!(
        text.contains("[00:1"),
        "the citation shows as session time: {text}"
    );

    let listed = run(
        folder.path(),
        &["observations", "list", "--state", "succeeded"],
    )
    .await;
    assert!(stdout(&listed).contains(&id));
}

#[tokio::test]
async fn scanner_template_validates() {
    let folder = tempfile::tempdir().unwrap();
    let created = run(
        folder.path(),
        &[
            "scanners",
            "new",
            "--template",
            "frustration_score",
            "-o",
            "f.toml",
        ],
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    let valid = run(folder.path(), &["scanners", "validate", "f.toml"]).await;
    assert!(
        valid.status.success(),
        "{}{}",
        stdout(&valid),
        stderr(&valid)
    );

    let broken = std::fs::read_to_string(folder.path().join("f.toml"))
        .unwrap()
        .replace("min = 0, max = 10", "min = 10, max = 0");
    std::fs::write(folder.path().join("f.toml"), broken).unwrap();
    let invalid = run(folder.path(), &["scanners", "validate", "f.toml"]).await;
    assert!(!invalid.status.success());
    assert!(stdout(&invalid).contains("scale"), "{}", stdout(&invalid));
}

#[tokio::test]
async fn unreadable_recording_fails_clearly() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("bad.json"), "{not json").unwrap();
    let output = run(
        folder.path(),
        &["scan", "bad.json", "--scanner", "dead_end"],
    )
    .await;
    assert!(!output.status.success());
    assert!(stderr(&output).contains("bad.json"), "{}", stderr(&output));
}

/// Every TOML example in the README parses: configuration blocks as `replay-vision.toml`,
/// blocks with a `[config]` table as scanner files, the bare filter block as filters.
#[test]
fn readme_toml_examples_parse() {
    let readme = std::fs::read_to_string(repository().join("README.md")).unwrap();
    let mut blocks = 0;
    for block in readme.split("```toml\n").skip(1) {
        let text = block.split("```").next().unwrap();
        blocks += 1;
        if text.contains("[config]") {
            let parsed = replay_vision::scanner::ScannerDefinition::from_toml(text, "README");
            assert!(parsed.is_ok(), "{text}\n{parsed:?}");
        } else if text.starts_with("[filters]") {
            let scanner =
                format!("name = \"x\"\ntype = \"monitor\"\n[config]\nprompt = \"p\"\n{text}");
            let parsed = replay_vision::scanner::ScannerDefinition::from_toml(&scanner, "README");
            assert!(parsed.is_ok(), "{text}\n{parsed:?}");
        } else {
            let parsed = replay_vision::config::Config::parse(text);
            assert!(parsed.is_ok(), "{text}\n{parsed:?}");
        }
    }
    assert!(
        blocks >= 4,
        "the README has its configuration and scanner examples"
    );
}
