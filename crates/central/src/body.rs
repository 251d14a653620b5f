//! Request bodies and query strings parsed by us, so every malformed input gets
//! the JSON error shape and a precise 4xx instead of axum's plain-text rejections.

use axum::extract::{FromRequest, Request};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::AppState;

/// A JSON body, whatever the Content-Type says (clients often omit it), up to
/// the configured size.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = read_limited(req, state.config.max_body_bytes).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// How much of an oversized body we still read (and discard) before answering
/// 413: closing a socket with unread data makes the kernel reset the connection,
/// and the client would lose our answer.
const DRAIN_LIMIT: usize = 64 << 20;

/// Reads the whole body if it is at most `limit` bytes; otherwise drains it and
/// reports 413.
pub async fn read_limited(req: Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut body = req.into_body();
    let mut buf: Vec<u8> = Vec::new();
    let mut seen: usize = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ApiError::bad_request("the request body could not be read"))?;
        if let Ok(data) = frame.into_data() {
            seen = seen.saturating_add(data.len());
            if seen <= limit {
                buf.extend_from_slice(&data);
            } else if seen > DRAIN_LIMIT {
                break;
            }
        }
    }
    if seen > limit {
        return Err(ApiError::too_large(format!("the request body is over the limit of {limit} bytes")));
    }
    Ok(buf)
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request("a JSON body is required"));
    }
    if std::str::from_utf8(bytes).is_err() {
        return Err(ApiError::bad_request("the body is not valid UTF-8"));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        let what = match e.classify() {
            Category::Syntax | Category::Eof => "malformed JSON",
            Category::Data => "invalid request",
            Category::Io => "unreadable body",
        };
        // serde's message names the field and expectation, never echoes values at length.
        ApiError::bad_request(format!("{what}: {e}"))
    })
}

/// Splits a raw query string into decoded pairs; refuses repeated keys and keys
/// not in `allowed`.
pub fn query_pairs(raw: Option<&str>, allowed: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let k = percent_decode(k)?;
        let v = percent_decode(v)?;
        if !allowed.contains(&k.as_str()) {
            return Err(ApiError::bad_request(format!(
                "unknown query parameter {:?}; expected one of {}",
                k.chars().take(40).collect::<String>(),
                allowed.join(", ")
            )));
        }
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(ApiError::bad_request(format!("query parameter {k} given twice")));
        }
        out.push((k, v));
    }
    Ok(out)
}

fn percent_decode(s: &str) -> Result<String, ApiError> {
    let bad = || ApiError::bad_request("the query string is not valid percent-encoded UTF-8");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3).ok_or_else(bad)?;
                let hex = std::str::from_utf8(hex).map_err(|_| bad())?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode_and_refuse_unknown_or_repeated_keys() {
        let q = query_pairs(Some("since=12&limit=%35"), &["since", "limit"]).unwrap();
        assert_eq!(q, vec![("since".into(), "12".into()), ("limit".into(), "5".into())]);
        assert!(query_pairs(Some("since=1&since=2"), &["since"]).is_err());
        assert!(query_pairs(Some("x=1"), &["since"]).is_err());
        assert!(query_pairs(Some("since=%ff"), &["since"]).is_err());
        assert!(query_pairs(Some("since=%4"), &["since"]).is_err());
        assert!(query_pairs(None, &["since"]).unwrap().is_empty());
    }
}
