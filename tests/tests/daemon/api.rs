//! The HTTP API on loopback: the bearer token, read-only file scanners, version bumps, on-demand
//! runs and metrics.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use replay_vision::daemon::Daemon;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::support::{monitor, Fixture};

/// A daemon with its API served on a free loopback port, and the token it takes.
struct Served {
    daemon: Daemon,
    base: String,
    token: String,
    client: reqwest::Client,
    _stop: watch::Sender<bool>,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

async fn serve(fixture: &Fixture) -> Served {
    // Each test reads its token from a variable of its own, so parallel tests do not clash.
    let variable = format!(
        "REPLAY_VISION_TEST_API_TOKEN_{}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let token = format!("token-{}", uuid_like());
    std::env::set_var(&variable, &token);
    let mut config = fixture.config();
    config.daemon.api.token_env = variable;
    let daemon = Daemon::new(config).await.expect("daemon starts");
    let (stop, receiver) = watch::channel(false);
    let server = replay_vision::api::serve(daemon.shared().clone(), receiver)
        .await
        .expect("API starts");
    Served {
        daemon,
        base: format!("http://{}", server.address),
        token,
        client: reqwest::Client::new(),
        _stop: stop,
    }
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

impl Served {
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    fn send(&self, method: reqwest::Method, path: &str, body: Value) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
    }
}

#[tokio::test]
async fn missing_token_is_rejected() {
    let fixture = Fixture::sqlite().await;
    let served = serve(&fixture).await;

    let response = served
        .client
        .get(format!("{}/scanners", served.base))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_token_is_rejected() {
    let fixture = Fixture::sqlite().await;
    let served = serve(&fixture).await;

    let response = served
        .client
        .get(format!("{}/observations", served.base))
        .bearer_auth(format!("{}x", served.token))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn right_token_is_accepted() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("stuck.toml", &monitor("Stuck", 1.0));
    let served = serve(&fixture).await;

    let response = served.get("/scanners").send().await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let scanners: Value = response.json().await.unwrap();
    assert_eq!(scanners[0]["id"], "stuck");
}

#[tokio::test]
async fn health_needs_no_token() {
    let fixture = Fixture::sqlite().await;
    let served = serve(&fixture).await;

    let response = served
        .client
        .get(format!("{}/health", served.base))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn open_address_needs_token() {
    let fixture = Fixture::sqlite().await;
    let mut config = fixture.config();
    config.daemon.api.listen = "0.0.0.0:0".into();
    config.daemon.api.token_env = "REPLAY_VISION_TEST_UNSET_TOKEN".into();
    let daemon = Daemon::new(config).await.expect("daemon starts");
    let (_stop, receiver) = watch::channel(false);

    let result = replay_vision::api::serve(daemon.shared().clone(), receiver).await;

    let error = result
        .err()
        .expect("serving on 0.0.0.0 without a token fails");
    assert!(error.to_string().contains("without a token"), "{error}");
}

#[tokio::test]
async fn file_scanner_is_read_only() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("stuck.toml", &monitor("Stuck", 1.0));
    let served = serve(&fixture).await;

    let response = served
        .send(
            reqwest::Method::PATCH,
            "/scanners/stuck",
            json!({"sampling_rate": 0.5}),
        )
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn update_bumps_version() {
    let fixture = Fixture::sqlite().await;
    let served = serve(&fixture).await;
    let scanner = json!({
        "name": "Checkout",
        "type": "monitor",
        "config": {"prompt": "Answer yes if the user reached the checkout."},
    });

    let created = served
        .send(reqwest::Method::POST, "/scanners", scanner)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["version"], 1);
    assert_eq!(created["origin"], "api");

    let prompt = json!({"config": {"prompt": "Answer yes if the user paid."}});
    let changed: Value = served
        .send(reqwest::Method::PATCH, "/scanners/checkout", prompt)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(changed["version"], 2);

    let description = json!({"description": "for the growth team"});
    let described: Value = served
        .send(reqwest::Method::PATCH, "/scanners/checkout", description)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        described["version"], 2,
        "the description does not affect results"
    );

    let disabled: Value = served
        .send(
            reqwest::Method::POST,
            "/scanners/checkout/disable",
            json!({}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(disabled["definition"]["enabled"], false);
}

#[tokio::test]
async fn observe_runs_on_demand() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("never.toml", &monitor("Never", 0.0));
    fixture.add_session("s1");
    let served = Arc::new(serve(&fixture).await);
    served.daemon.poll_sources().await.expect("poll");
    let swept = served.daemon.sweep().await.expect("sweep");
    assert_eq!(
        swept.queued, 0,
        "sampling rate 0 queues nothing on schedule"
    );

    let request = json!({"session_id": "s1", "user_id": "user-7"});
    let queued = served
        .send(
            reqwest::Method::POST,
            "/scanners/never/observe",
            request.clone(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), StatusCode::ACCEPTED);
    served.daemon.work_until_idle().await.expect("work");

    let observations: Value = served
        .get("/observations?session_id=s1&state=succeeded")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(observations.as_array().map(Vec::len), Some(1));
    assert_eq!(observations[0]["triggered_by"], "on_demand");
    assert_eq!(observations[0]["triggered_by_user_id"], "user-7");

    let again = served
        .send(reqwest::Method::POST, "/scanners/never/observe", request)
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        StatusCode::OK,
        "an observed pair is not queued again"
    );
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["observation_id"], observations[0]["id"]);

    let metrics = served
        .get("/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("replay_vision_observations{state=\"succeeded\",kind=\"\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn unknown_session_is_not_found() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("stuck.toml", &monitor("Stuck", 1.0));
    let served = serve(&fixture).await;

    let response = served
        .send(
            reqwest::Method::POST,
            "/scanners/stuck/observe",
            json!({"session_id": "nope"}),
        )
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
