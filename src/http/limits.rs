//! Request limits of the API: a body-size cap and two global token buckets, one for reads and
//! one for writes. Global, not per client: the API listens on loopback by default and its
//! callers are a few operators and scripts; the buckets keep a runaway script (or a token
//! guesser) from monopolising the alert database, which detection writes to as well.
//!
//! A hand-written bucket (a mutex around two numbers) rather than `tower_governor`: per-client
//! keying, the one thing that crate adds, is not wanted here.

use super::error::ApiError;
use super::HttpState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Largest request body accepted, bytes (413 above).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Write requests (POST, DELETE) admitted per second, sustained.
pub const WRITES_PER_SECOND: f64 = 5.0;
/// Write requests admitted at once after a quiet spell.
pub const WRITE_BURST: f64 = 20.0;
/// Read requests (GET) admitted per second, sustained.
pub const READS_PER_SECOND: f64 = 50.0;
/// Read requests admitted at once after a quiet spell.
pub const READ_BURST: f64 = 100.0;

/// A rate: `per_second` sustained, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Tokens added per second.
    pub per_second: f64,
    /// Bucket size.
    pub burst: f64,
}

/// The API's two rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ApiLimits {
    /// GET requests.
    pub read: Rate,
    /// POST and DELETE requests (failed authentications count too).
    pub write: Rate,
}

impl Default for ApiLimits {
    fn default() -> Self {
        ApiLimits {
            read: Rate {
                per_second: READS_PER_SECOND,
                burst: READ_BURST,
            },
            write: Rate {
                per_second: WRITES_PER_SECOND,
                burst: WRITE_BURST,
            },
        }
    }
}

/// A token bucket: starts full, refills continuously.
#[derive(Debug)]
pub struct TokenBucket {
    rate: Rate,
    /// Tokens left and when they were counted.
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: Rate) -> TokenBucket {
        TokenBucket {
            rate,
            state: Mutex::new((rate.burst, Instant::now())),
        }
    }

    /// Takes one token at `now`, or says how long until one is there.
    pub fn take(&self, now: Instant) -> Result<(), Duration> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, counted) = *state;
        let elapsed = now.saturating_duration_since(counted).as_secs_f64();
        let tokens = (tokens + elapsed * self.rate.per_second).min(self.rate.burst);
        let counted = counted.max(now);
        if tokens >= 1.0 {
            *state = (tokens - 1.0, counted);
            Ok(())
        } else {
            *state = (tokens, counted);
            let missing = (1.0 - tokens) / self.rate.per_second;
            Err(Duration::try_from_secs_f64(missing).unwrap_or(Duration::MAX))
        }
    }
}

/// The read and write buckets of one server.
#[derive(Debug)]
pub struct RateLimits {
    read: TokenBucket,
    write: TokenBucket,
}

impl RateLimits {
    /// Full buckets for `limits`.
    pub fn new(limits: ApiLimits) -> RateLimits {
        RateLimits {
            read: TokenBucket::new(limits.read),
            write: TokenBucket::new(limits.write),
        }
    }
}

/// Middleware: 429 with `Retry-After` when the request's bucket is empty. GET and HEAD are
/// reads, everything else is a write.
pub async fn rate_limit(
    State(state): State<HttpState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let limits = &state.api.rates;
    let (bucket, class) = match *request.method() {
        Method::GET | Method::HEAD => (&limits.read, "read"),
        _ => (&limits.write, "write"),
    };
    bucket
        .take(Instant::now())
        .map_err(|retry_after| ApiError::RateLimited { retry_after, class })?;
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE_PER_SECOND_BURST_TWO: Rate = Rate {
        per_second: 5.0,
        burst: 2.0,
    };

    #[test]
    fn a_full_bucket_admits_its_burst_then_refuses_until_it_refills() {
        let bucket = TokenBucket::new(FIVE_PER_SECOND_BURST_TWO);
        let t0 = Instant::now();
        assert_eq!(bucket.take(t0), Ok(()));
        assert_eq!(bucket.take(t0), Ok(()));
        let wait = bucket.take(t0).unwrap_err();
        assert!(
            (Duration::from_millis(199)..=Duration::from_millis(200)).contains(&wait),
            "{wait:?}"
        );
        assert!(bucket.take(t0 + Duration::from_millis(100)).is_err());
        assert_eq!(bucket.take(t0 + Duration::from_millis(201)), Ok(()));
    }

    #[test]
    fn a_long_pause_refills_no_more_than_the_burst() {
        let bucket = TokenBucket::new(FIVE_PER_SECOND_BURST_TWO);
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(3600);
        assert_eq!(bucket.take(later), Ok(()));
        assert_eq!(bucket.take(later), Ok(()));
        assert!(bucket.take(later).is_err());
    }
}
