//! Bearer-token check for API writes. The configured token is kept only as its SHA-256 digest,
//! and a presented token is hashed and compared in constant time, so neither the content nor
//! the length of the token leaks through response timing, and the server state holds nothing
//! that could be printed by mistake.

use super::error::ApiError;
use super::HttpState;
use crate::sink::Secret;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The token writes must present, as a digest; `None` when no token is configured (writes are
/// disabled: 403).
#[derive(Clone)]
pub struct WriteToken(Option<[u8; 32]>);

impl WriteToken {
    /// From the configured token.
    pub fn new(token: Option<&Secret>) -> WriteToken {
        WriteToken(token.map(|t| digest(t.expose().as_bytes())))
    }

    /// Checks an `Authorization` header value.
    fn check(&self, header: Option<&[u8]>) -> Result<(), ApiError> {
        let Some(expected) = &self.0 else {
            return Err(ApiError::WritesDisabled);
        };
        let presented = header.and_then(bearer).ok_or(ApiError::Unauthorized {
            detail: "send the API token as `Authorization: Bearer <token>`",
        })?;
        if tokens_equal(&digest(presented), expected) {
            Ok(())
        } else {
            Err(ApiError::Unauthorized {
                detail: "the bearer token is not the configured one",
            })
        }
    }
}

impl std::fmt::Debug for WriteToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.0.is_some() { "set" } else { "none" };
        write!(f, "WriteToken({state})")
    }
}

fn digest(token: &[u8]) -> [u8; 32] {
    Sha256::digest(token).into()
}

/// The token of `Bearer <token>` (scheme case-insensitive, RFC 7235); `None` for any other
/// scheme or an empty token.
fn bearer(header: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = header.split_at_checked(7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// Whether two digests are equal, in time independent of where they differ.
pub fn tokens_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}

/// Extractor for write handlers: present as their first argument, it rejects the request with
/// 401 or 403 before the body is read.
#[derive(Debug)]
pub struct Authorized;

impl FromRequestParts<HttpState> for Authorized {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Self, ApiError> {
        let header = parts.headers.get(AUTHORIZATION).map(|v| v.as_bytes());
        state.api.token.check(header).map(|()| Authorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123";

    fn configured() -> WriteToken {
        WriteToken::new(Some(&Secret::from(TOKEN)))
    }

    #[test]
    fn the_configured_token_is_accepted_with_any_case_of_scheme() {
        let token = configured();
        assert!(token.check(Some(b"Bearer 0123456789abcdef0123")).is_ok());
        assert!(token.check(Some(b"bearer 0123456789abcdef0123 ")).is_ok());
    }

    #[test]
    fn a_missing_wrong_or_prefixed_token_is_unauthorized() {
        let token = configured();
        for header in [
            None,
            Some(&b"Bearer "[..]),
            Some(b"Basic MDEyMzQ1Njc4OWFiY2RlZjAxMjM="),
            Some(b"0123456789abcdef0123"),
            Some(b"Bearer 0123456789abcdef012"),
            Some(b"Bearer 0123456789abcdef01234"),
            Some(b"Bearer 1123456789abcdef0123"),
        ] {
            let err = token.check(header).unwrap_err();
            assert!(matches!(err, ApiError::Unauthorized { .. }), "{header:?}");
        }
    }

    #[test]
    fn without_a_configured_token_writes_are_disabled() {
        let err = WriteToken::new(None).check(Some(b"Bearer x")).unwrap_err();
        assert!(matches!(err, ApiError::WritesDisabled));
    }

    #[test]
    fn digests_compare_equal_only_when_every_byte_is_equal() {
        let a = digest(b"token");
        assert!(tokens_equal(&a, &digest(b"token")));
        for i in [0, 15, 31] {
            let mut b = a;
            b[i] ^= 0x01;
            assert!(!tokens_equal(&a, &b), "byte {i}");
        }
    }

    #[test]
    fn debug_output_holds_no_token() {
        assert_eq!(format!("{:?}", configured()), "WriteToken(set)");
    }
}
