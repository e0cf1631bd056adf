//! Checking a delivery's credential before its body is parsed: GitHub's HMAC-SHA256 signature
//! over the raw body, GitLab's secret token, Azure DevOps' basic authentication. Every
//! comparison takes the same time however much of the credential is right.

use axum::http::HeaderMap;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Whether `X-Hub-Signature-256` is `sha256=` and the HMAC-SHA256 of `body` under `secret`.
#[must_use]
pub fn github_signature_matches(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_signature) = header.and_then(|value| value.strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(signature) = hex::decode(hex_signature.trim()) else {
        return false;
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&signature).is_ok()
}

/// Whether `X-Gitlab-Token` is the secret token.
pub(crate) fn gitlab_token_matches(token: &str, headers: &HeaderMap) -> bool {
    headers
        .get("x-gitlab-token")
        .is_some_and(|value| equal(value.as_bytes(), token.as_bytes()))
}

/// Whether `Authorization` is `Basic` with this user and password.
pub(crate) fn basic_auth_matches(user: &str, password: &str, headers: &HeaderMap) -> bool {
    let expected = format!("{user}:{password}");
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
        })
        .is_some_and(|given| equal(&given, expected.as_bytes()))
}

/// Constant-time equality; only the lengths may differ in time.
pub(crate) fn equal(given: &[u8], expected: &[u8]) -> bool {
    given.ct_eq(expected).into()
}
