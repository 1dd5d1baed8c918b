//! A loopback HTTP receiver that replaces PostHog's capture API and webhook endpoints in tests.
//! It records every request and can be switched to reply 503, like a receiver that is down.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use axum::Router;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Whether the receiver accepted it (200) or replied 503.
    pub accepted: bool,
}

impl Received {
    /// Parses the body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }
}

#[derive(Default)]
struct State {
    down: AtomicBool,
    received: Mutex<Vec<Received>>,
}

/// A running receiver; it stops when dropped.
pub struct Receiver {
    address: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver on a free loopback port.
    pub async fn start() -> Receiver {
        let state = Arc::new(State::default());
        let handler_state = state.clone();
        let app = Router::new().fallback(post(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = handler_state.clone();
            async move {
                let accepted = !state.down.load(Ordering::SeqCst);
                state.received.lock().unwrap().push(Received {
                    path: uri.path().to_string(),
                    headers,
                    body,
                    accepted,
                });
                if accepted {
                    (StatusCode::OK, "{\"status\": 1}")
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, "down for a test")
                }
            }
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let address = listener.local_addr().expect("bound address");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver runs");
        });
        Receiver {
            address,
            state,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Makes the receiver reply 503 (`true`) or 200 (`false`).
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    /// Returns every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Returns the requests it accepted.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|request| request.accepted)
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
