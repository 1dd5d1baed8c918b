//! The stand-in's own checks: requests the real APIs reject must be rejected here too, with
//! the same status, or the provider tests would prove nothing.

use base64::Engine;
use replay_vision_tests::standin::{sample_schema, StandIn};
use serde_json::{json, Value};

async fn generate(standin: &StandIn, body: &Value) -> (u16, Value) {
    let url = format!(
        "{}/v1beta/models/gemini-3.5-flash:generateContent",
        standin.base_url()
    );
    let reply = reqwest::Client::new()
        .post(url)
        .header("x-goog-api-key", standin.key())
        .json(body)
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap())
}

fn with_parts(parts: Value) -> Value {
    json!({"contents": [{"role": "user", "parts": parts}],
           "generationConfig": {"responseMimeType": "application/json",
                                "responseJsonSchema": sample_schema()}})
}

#[tokio::test]
async fn unknown_field_rejected() {
    let standin = StandIn::start().await;
    let mut body = with_parts(json!([{"text": "hi"}]));
    body["generation_confg"] = json!({});
    let (status, reply) = generate(&standin, &body).await;
    assert_eq!(status, 400);
    assert_eq!(reply["error"]["status"], "INVALID_ARGUMENT");
}

#[tokio::test]
async fn snake_case_accepted() {
    let standin = StandIn::start().await;
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "generation_config": {"response_mime_type": "application/json",
                              "response_json_schema": sample_schema()}});
    let (status, _) = generate(&standin, &body).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn fake_mp4_rejected() {
    let standin = StandIn::start().await;
    let data = base64::engine::general_purpose::STANDARD.encode(b"not a video at all");
    let body = with_parts(json!([{"inlineData": {"mimeType": "video/mp4", "data": data}}]));
    let (status, reply) = generate(&standin, &body).await;
    assert_eq!(status, 400);
    assert!(reply["error"]["message"]
        .as_str()
        .unwrap()
        .contains("video/mp4"));
}

#[tokio::test]
async fn fps_out_of_range_rejected() {
    let standin = StandIn::start().await;
    let mp4 = [0, 0, 0, 24, b'f', b't', b'y', b'p', b'i', b's', b'o', b'm'];
    let data = base64::engine::general_purpose::STANDARD.encode(mp4);
    let body = with_parts(
        json!([{"inlineData": {"mimeType": "video/mp4", "data": data},
                                  "videoMetadata": {"fps": 30}}]),
    );
    let (status, _) = generate(&standin, &body).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn missing_key_forbidden() {
    let standin = StandIn::start().await;
    let url = format!(
        "{}/v1beta/models/gemini-3.5-flash:generateContent",
        standin.base_url()
    );
    let reply = reqwest::Client::new()
        .post(url)
        .json(&with_parts(json!([{"text": "hi"}])))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 403);
}

#[tokio::test]
async fn unknown_file_not_found() {
    let standin = StandIn::start().await;
    let uri = format!("{}/v1beta/files/missing", standin.base_url());
    let body = with_parts(json!([{"fileData": {"mimeType": "video/mp4", "fileUri": uri}}]));
    let (status, _) = generate(&standin, &body).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn upload_offset_mismatch_rejected() {
    let standin = StandIn::start().await;
    let client = reqwest::Client::new();
    let start = client
        .post(format!("{}/upload/v1beta/files", standin.base_url()))
        .header("x-goog-api-key", standin.key())
        .header("X-Goog-Upload-Protocol", "resumable")
        .header("X-Goog-Upload-Command", "start")
        .header("X-Goog-Upload-Header-Content-Length", "12")
        .header("X-Goog-Upload-Header-Content-Type", "video/mp4")
        .json(&json!({"file": {"display_name": "x"}}))
        .send()
        .await
        .unwrap();
    let upload_url = start.headers()["x-goog-upload-url"]
        .to_str()
        .unwrap()
        .to_string();
    let chunk = client
        .post(upload_url)
        .header("X-Goog-Upload-Command", "upload, finalize")
        .header("X-Goog-Upload-Offset", "4")
        .body(vec![0u8; 12])
        .send()
        .await
        .unwrap();
    assert_eq!(chunk.status().as_u16(), 400);
    assert_eq!(standin.stored_files(), Vec::<String>::new());
}

#[tokio::test]
async fn schema_name_invalid_rejected() {
    let standin = StandIn::start().await;
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
        "response_format": {"type": "json_schema",
                            "json_schema": {"name": "has space", "schema": sample_schema()}}});
    let reply = reqwest::Client::new()
        .post(format!("{}/chat/completions", standin.openai_base_url()))
        .bearer_auth(standin.key())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 400);
}
