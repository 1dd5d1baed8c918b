//! The request guard of the replayed page. A recording can name any URL, internal addresses
//! included, and the replayed document would fetch its stylesheets, images and frames as it is
//! rebuilt. Every request of the page is paused through the DevTools `Fetch` domain and, by
//! default, failed. With [`RemoteAssets::Public`] the renderer fetches the asset itself, after
//! resolving the host and checking that every address is public, with the connection pinned to
//! the checked address so a second lookup cannot point it elsewhere.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chromiumoxide::cdp::browser_protocol::fetch::{
    EnableParams, EventRequestPaused, FailRequestParams, FulfillRequestParams, HeaderEntry,
    RequestPattern, RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::ErrorReason;
use chromiumoxide::Page;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use super::RenderError;

/// Maximum remote asset body fetched, in bytes (10 MiB).
const MAX_ASSET_BYTES: usize = 10 * 1024 * 1024;
/// Time limit of one remote asset fetch.
const ASSET_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether the replayed page may load assets from the internet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteAssets {
    /// Every request of the replayed page fails. The default.
    #[default]
    Blocked,
    /// `http` and `https` requests to hosts whose addresses are all public are fetched.
    /// Loopback, private, link-local and other special addresses are still rejected.
    // NOTE: relative URLs left in a recording resolve against the blank player page, not
    // the recorded Meta `href`, so with this option only absolute URLs load.
    Public,
}

/// Counts of what the guard did, for logs and tests.
#[derive(Debug, Default)]
pub(crate) struct RequestCounts {
    pub(crate) blocked: AtomicU64,
    pub(crate) fetched: AtomicU64,
}

/// A running guard. Dropping it stops the task that resolves paused requests.
pub(crate) struct RequestGuard {
    task: JoinHandle<()>,
    pub(crate) counts: Arc<RequestCounts>,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts intercepting every request of `page`. Call it before the page loads anything.
pub(crate) async fn guard(page: &Page, remote: RemoteAssets) -> Result<RequestGuard, RenderError> {
    let protocol = |e: chromiumoxide::error::CdpError| {
        RenderError::Browser(format!("cannot intercept requests: {e}"))
    };
    let mut paused = page
        .event_listener::<EventRequestPaused>()
        .await
        .map_err(protocol)?;
    let pattern = RequestPattern::builder()
        .url_pattern("*")
        .request_stage(RequestStage::Request)
        .build();
    page.execute(EnableParams::builder().pattern(pattern).build())
        .await
        .map_err(protocol)?;

    let counts = Arc::new(RequestCounts::default());
    let task_counts = counts.clone();
    let page = page.clone();
    let task = tokio::spawn(async move {
        while let Some(event) = paused.next().await {
            let page = page.clone();
            let counts = task_counts.clone();
            tokio::spawn(async move { answer(&page, &event, remote, &counts).await });
        }
    });
    Ok(RequestGuard { task, counts })
}

async fn answer(
    page: &Page,
    event: &EventRequestPaused,
    remote: RemoteAssets,
    counts: &RequestCounts,
) {
    let url = &event.request.url;
    let fetched = match remote {
        RemoteAssets::Blocked => Err("remote assets are off".to_owned()),
        RemoteAssets::Public => fetch_public(url).await,
    };
    let sent = match fetched {
        Ok(response) => {
            counts.fetched.fetch_add(1, Ordering::Relaxed);
            page.execute(response.into_fulfill(event.request_id.clone()))
                .await
                .map(drop)
        }
        Err(reason) => {
            counts.blocked.fetch_add(1, Ordering::Relaxed);
            tracing::trace!(reason, "blocked a request of the replayed page");
            let fail =
                FailRequestParams::new(event.request_id.clone(), ErrorReason::BlockedByClient);
            page.execute(fail).await.map(drop)
        }
    };
    if let Err(error) = sent {
        tracing::debug!(%error, "failed to resolve a paused request");
    }
}

struct Fetched {
    status: u16,
    headers: Vec<HeaderEntry>,
    body: Vec<u8>,
}

impl Fetched {
    fn into_fulfill(
        self,
        request_id: chromiumoxide::cdp::browser_protocol::fetch::RequestId,
    ) -> FulfillRequestParams {
        let mut params = FulfillRequestParams::new(request_id, i64::from(self.status));
        params.response_headers = Some(self.headers);
        let body = base64::engine::general_purpose::STANDARD.encode(&self.body);
        params.body = Some(body.into());
        params
    }
}

/// Fetches a public `http`/`https` asset with the connection pinned to a checked address.
/// Redirects are handed back to Chromium, whose next request is checked again.
async fn fetch_public(url: &str) -> Result<Fetched, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("invalid URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("scheme {} is not fetched", parsed.scheme()));
    }
    let host = parsed.host_str().ok_or("URL without a host")?.to_owned();
    let port = parsed.port_or_known_default().ok_or("URL without a port")?;
    let address = public_address(&host, port).await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(ASSET_TIMEOUT)
        .resolve(&host, address)
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let mut response = client.get(parsed).send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "content-length" | "content-encoding"))
        .filter_map(|(name, value)| Some(HeaderEntry::new(name.as_str(), value.to_str().ok()?)))
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ASSET_BYTES {
            return Err(format!("asset larger than {MAX_ASSET_BYTES} bytes"));
        }
    }
    Ok(Fetched {
        status,
        headers,
        body,
    })
}

/// Resolves `host` and returns its first address, or an error when any address is not public.
async fn public_address(host: &str, port: u16) -> Result<SocketAddr, String> {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = match literal.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect(),
    };
    if let Some(special) = addresses.iter().find(|a| !is_public(a.ip())) {
        return Err(format!(
            "{host} resolves to non-public address {}",
            special.ip()
        ));
    }
    addresses
        .first()
        .copied()
        .ok_or_else(|| format!("{host} has no address"))
}

/// Returns whether `ip` is a global unicast address: not loopback, private, link-local,
/// carrier-grade NAT, benchmarking, documentation, multicast, reserved or unspecified.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b));
    !special
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let special = ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        || (first == 0x0064 && ip.segments()[1] == 0xff9b);
    !special
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_not_public() {
        assert!(!is_public("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn private_ranges_are_not_public() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn ipv6_special_is_not_public() {
        for ip in ["::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::"] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn global_address_is_public() {
        assert!(is_public("93.184.216.34".parse().unwrap()));
    }

    #[tokio::test]
    async fn loopback_literal_refused() {
        let refused = public_address("127.0.0.1", 80).await;
        assert!(refused.is_err());
    }

    #[tokio::test]
    async fn localhost_name_refused() {
        let refused = public_address("localhost", 80).await;
        assert!(refused.is_err());
    }
}
