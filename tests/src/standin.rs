//! A loopback stand-in for the model APIs: one axum server on 127.0.0.1 that speaks Gemini's
//! `generateContent` and Files API and OpenAI-compatible chat completions. It checks each
//! request the way the real API does (key, required fields, a valid JSON Schema, a real MP4 or
//! real images, sizes), records it, and replies from a script that can also fail on purpose.
//!
//! ```no_run
//! # async fn example() {
//! use replay_vision_tests::standin::{Reply, StandIn};
//! let standin = StandIn::start().await;
//! standin.script([Reply::status(503), Reply::answer(r#"{"verdict":"yes"}"#)]);
//! // point a provider at standin.base_url() with key standin.key() ...
//! let sent = standin.requests();
//! # }
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::Value;

mod fixture;
mod gemini;
mod openai;
mod reply;
mod validate;

pub use fixture::{exact_retry_policy, sample_request, sample_schema, test_video, TestVideo};
pub use reply::Reply;
pub use validate::example_for_schema;

/// The key the stand-in accepts unless another is given to `start_on`.
pub const DEFAULT_KEY: &str = "standin-key";

/// What uploaded files do after the upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilePlan {
    /// `PROCESSING` for this many polls, then `ACTIVE`.
    Active {
        /// Polls that still see `PROCESSING`.
        processing_polls: u32,
    },
    /// `PROCESSING` for this many polls, then `FAILED` with the message.
    Failed {
        /// Polls that still see `PROCESSING`.
        processing_polls: u32,
        /// `error.message` of the File.
        message: String,
    },
}

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Query string, if any.
    pub query: Option<String>,
    /// Headers with lowercase names.
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON, when it is JSON.
    pub body: Option<Value>,
    /// Body length in bytes.
    pub body_len: usize,
    /// Status the stand-in replied with (0 for a hang).
    pub status: u16,
}

impl RecordedRequest {
    /// Returns whether this was a `generateContent` call.
    pub fn is_generate_content(&self) -> bool {
        self.path.ends_with(":generateContent")
    }

    /// Returns whether this was a chat completions call.
    pub fn is_chat_completion(&self) -> bool {
        self.path.ends_with("/chat/completions")
    }
}

/// A file stored by the Files API imitation.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub display_name: String,
    pub mime_type: String,
    pub size: usize,
    pub polls: u32,
}

/// An upload that was started and not finalized.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub display_name: String,
    pub mime_type: String,
    pub declared_len: usize,
    pub received: Vec<u8>,
}

pub(crate) struct Inner {
    pub script: VecDeque<Reply>,
    pub requests: Vec<RecordedRequest>,
    pub files: BTreeMap<String, StoredFile>,
    pub uploads: BTreeMap<String, Upload>,
    pub file_plan: FilePlan,
    pub next_id: u64,
    pub granularity: usize,
    pub max_request_bytes: usize,
}

/// State shared by the handlers.
pub(crate) struct Shared {
    pub key: String,
    pub base_url: String,
    pub inner: Mutex<Inner>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a request with the status the stand-in is about to return.
    pub fn record(
        &self,
        method: &str,
        uri: &axum::http::Uri,
        headers: &HeaderMap,
        body: &[u8],
        status: u16,
    ) {
        let headers = headers
            .iter()
            .map(|(name, value)| {
                let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_string(), text)
            })
            .collect();
        let request = RecordedRequest {
            method: method.to_string(),
            path: uri.path().to_string(),
            query: uri.query().map(str::to_string),
            headers,
            body: serde_json::from_slice(body).ok(),
            body_len: body.len(),
            status,
        };
        if status >= 400 {
            tracing::info!(
                method,
                path = uri.path(),
                status,
                "stand-in rejected a request"
            );
        }
        self.lock().requests.push(request);
    }

    /// Takes the next scripted reply, or an answer made from the schema when the script is empty.
    pub fn next_reply(&self, schema: Option<&Value>) -> Reply {
        let scripted = self.lock().script.pop_front();
        scripted.unwrap_or_else(|| {
            let example = schema
                .map(example_for_schema)
                .unwrap_or(Value::Object(Default::default()));
            Reply::Answer(example.to_string())
        })
    }
}

/// A running stand-in. Dropping it stops the server.
pub struct StandIn {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl StandIn {
    /// Starts on a random loopback port with the key [`DEFAULT_KEY`].
    pub async fn start() -> Self {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), DEFAULT_KEY)
            .await
            .expect("start the model stand-in on 127.0.0.1")
    }

    /// Starts on `address` with `key`.
    pub async fn start_on(address: SocketAddr, key: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            key: key.to_string(),
            base_url: format!("http://{address}"),
            inner: Mutex::new(Inner {
                script: VecDeque::new(),
                requests: Vec::new(),
                files: BTreeMap::new(),
                uploads: BTreeMap::new(),
                file_plan: FilePlan::Active {
                    processing_polls: 0,
                },
                next_id: 1,
                granularity: 8 * 1024 * 1024,
                max_request_bytes: 20 * 1024 * 1024,
            }),
        });
        let router = gemini::routes()
            .merge(openai::routes())
            .layer(axum::extract::DefaultBodyLimit::max(512 * 1024 * 1024))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::warn!(%error, "model stand-in stopped");
            }
        });
        tracing::info!(%address, "model stand-in started");
        Ok(Self {
            address,
            shared,
            server,
        })
    }

    /// Root URL, e.g. `http://127.0.0.1:41234`: the Gemini base URL.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Base URL for OpenAI-compatible clients: the root plus `/v1`.
    pub fn openai_base_url(&self) -> String {
        format!("{}/v1", self.shared.base_url)
    }

    /// Returns the accepted key.
    pub fn key(&self) -> &str {
        &self.shared.key
    }

    /// Returns the bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Appends replies to the script. Each valid model request takes the next one; with the
    /// script empty, the stand-in replies with a minimal instance of the request's schema.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) -> &Self {
        self.shared.lock().script.extend(replies);
        self
    }

    /// Sets what uploaded files do after the upload. The default is `ACTIVE` at the first poll.
    pub fn file_plan(&self, plan: FilePlan) -> &Self {
        self.shared.lock().file_plan = plan;
        self
    }

    /// Sets `X-Goog-Upload-Chunk-Granularity`. The default is 8 MiB, as the real API sends.
    pub fn chunk_granularity(&self, bytes: usize) -> &Self {
        self.shared.lock().granularity = bytes.max(1);
        self
    }

    /// Sets the largest `generateContent` body accepted. The default is 20 MiB.
    pub fn max_request_bytes(&self, bytes: usize) -> &Self {
        self.shared.lock().max_request_bytes = bytes;
        self
    }

    /// Returns every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Returns the model requests (`generateContent` and chat completions) received so far.
    pub fn model_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.is_generate_content() || r.is_chat_completion())
            .collect()
    }

    /// Returns the names (`files/<id>`) of the uploaded files not yet deleted.
    pub fn stored_files(&self) -> Vec<String> {
        self.shared.lock().files.keys().cloned().collect()
    }

    /// Returns the number of scripted replies not used yet.
    pub fn unused_replies(&self) -> usize {
        self.shared.lock().script.len()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Time a `Reply::Hang` keeps the connection open without a reply.
pub(crate) const HANG: Duration = Duration::from_secs(600);
