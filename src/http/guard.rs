//! Admission: a cap on the requests served at once, and an optional rate per client.
//!
//! Beyond the cap a request is answered at once with 503 and `SERVICE_UNAVAILABLE`
//! rather than queued, so a burst cannot pile up work the server will never finish in
//! time. The rate limit is a token bucket per client address (off by default): a client
//! over it gets 429 with `Retry-After`. The health checks and `/metrics` are always
//! admitted, so that an overloaded server can still be watched, and is not taken for a
//! dead one.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::Semaphore;

/// Most client buckets kept; beyond it, those full again are forgotten.
const MAX_BUCKETS: usize = 65_536;

/// Requests per second and burst allowed to each client address.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Tokens added per second.
    pub per_second: f64,
    /// Most tokens a bucket holds: the burst a client may send at once.
    pub burst: f64,
}

/// What [`Guard::admit`] shares between requests.
#[derive(Clone)]
pub struct Guard {
    slots: Arc<Semaphore>,
    rate: Option<Arc<Buckets>>,
}

impl Guard {
    /// At most `max_concurrent` requests at once, and `rate` per client if given.
    pub fn new(max_concurrent: usize, rate: Option<Rate>) -> Self {
        Guard {
            slots: Arc::new(Semaphore::new(max_concurrent)),
            rate: rate.map(|rate| {
                Arc::new(Buckets {
                    rate,
                    buckets: Mutex::default(),
                })
            }),
        }
    }
}

/// The token buckets of the clients seen recently.
struct Buckets {
    rate: Rate,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Buckets {
    /// Takes a token of `client`'s bucket; when it is empty, how long until one is back.
    fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let Rate { per_second, burst } = self.rate;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS {
            buckets.retain(|_, bucket| {
                bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * per_second < burst
            });
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let refilled = now.duration_since(bucket.at).as_secs_f64() * per_second;
        bucket.tokens = (bucket.tokens + refilled).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

impl Guard {
    /// Runs `request` through `run` holding a slot (none for the health checks and
    /// `/metrics`), or refuses it at once.
    pub async fn admit(
        &self,
        request: Request,
        run: impl AsyncFnOnce(Request) -> Response,
    ) -> Response {
        if matches!(
            request.uri().path(),
            "/health" | "/health/live" | "/health/ready" | "/metrics"
        ) {
            return run(request).await;
        }
        if let Some(buckets) = &self.rate {
            let client = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(address)| address.ip());
            if let Some(client) = client
                && let Err(wait) = buckets.take(client, Instant::now())
            {
                let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
                return refusal(
                    StatusCode::TOO_MANY_REQUESTS,
                    "RATE_LIMITED",
                    &format!("too many requests from this address; retry in {seconds} s"),
                    seconds,
                );
            }
        }
        let Ok(_slot) = self.slots.try_acquire() else {
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                "the server is serving as many requests as it can; retry shortly",
                1,
            );
        };
        run(request).await
    }
}

/// A refusal in the shape of a GraphQL response, with `Retry-After`.
fn refusal(status: StatusCode, code: &str, message: &str, retry_after: u64) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let buckets = Buckets {
            rate: Rate {
                per_second: 2.0,
                burst: 3.0,
            },
            buckets: Mutex::default(),
        };
        let client: IpAddr = [192, 0, 2, 1].into();
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(buckets.take(client, start), Ok(()));
        }
        let wait = buckets.take(client, start).expect_err("the burst is spent");
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-9, "{wait:?}");
        assert_eq!(
            buckets.take(client, start + Duration::from_millis(500)),
            Ok(())
        );
        let other: IpAddr = [192, 0, 2, 2].into();
        assert_eq!(buckets.take(other, start), Ok(()));
    }
}
