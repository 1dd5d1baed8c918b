//! Bearer-token authentication. The presented token and the configured one are both hashed with
//! SHA-256, and the digests are compared with a fold over every byte. The time taken therefore
//! depends neither on where the first differing byte sits nor on the token's length.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::ApiError;

/// The configured API token, kept only as its SHA-256 digest.
#[derive(Clone)]
pub struct Token {
    digest: [u8; 32],
}

impl std::fmt::Debug for Token {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Token(<redacted>)")
    }
}

impl Token {
    /// Creates a token from its text.
    pub fn new(text: &str) -> Token {
        Token {
            digest: Sha256::digest(text.as_bytes()).into(),
        }
    }

    /// Reads the token from the environment variable `name`, or `None` when unset or empty.
    pub fn from_env(name: &str) -> Option<Token> {
        let text = std::env::var(name).ok()?;
        let text = text.trim();
        (!text.is_empty()).then(|| Token::new(text))
    }

    /// Returns whether `presented` is this token, in time independent of the contents.
    pub fn matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let difference = self
            .digest
            .iter()
            .zip(digest.iter())
            .fold(0u8, |accumulated, (a, b)| accumulated | (a ^ b));
        difference == 0
    }
}

/// Rejects a request without the right bearer token with 401; passes everything when no token
/// is configured (the API then listens on loopback only).
pub async fn require_token(
    State(token): State<Arc<Option<Token>>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = token.as_ref() else {
        return next.run(request).await;
    };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match presented {
        Some(presented) if token.matches(presented.trim()) => next.run(request).await,
        Some(_) => {
            tracing::warn!(path = %request.uri().path(), "API request with a wrong token rejected");
            unauthorized("the bearer token is wrong")
        }
        None => unauthorized("missing `Authorization: Bearer <token>` header"),
    }
}

fn unauthorized(message: &str) -> Response {
    let mut response = ApiError::new(StatusCode::UNAUTHORIZED, message).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_matches_itself() {
        assert!(Token::new("s3cret").matches("s3cret"));
    }

    #[test]
    fn token_rejects_other() {
        assert!(!Token::new("s3cret").matches("s3cres"));
    }

    #[test]
    fn token_rejects_prefix() {
        assert!(!Token::new("s3cret").matches("s3c"));
    }

    #[test]
    fn token_debug_is_redacted() {
        assert!(!format!("{:?}", Token::new("s3cret")).contains("s3cret"));
    }
}
