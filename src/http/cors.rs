//! Cross-origin requests: which browser pages on other origins may call the API.
//!
//! None by default, so only pages of the server's own origin (GraphiQL) can read its
//! answers. Allowed origins get `GET` and `POST` with the headers GraphQL clients send;
//! the preflight is cached for [`MAX_AGE`]. No credentials: the API has no cookies.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may cache a preflight's answer.
pub const MAX_AGE: Duration = Duration::from_secs(600);

/// The origins allowed to call the API from a browser.
#[derive(Debug, Clone, Default)]
pub enum CorsOrigins {
    /// Same-origin pages only.
    #[default]
    None,
    /// Any origin: for public, read-only deployments.
    Any,
    /// These origins (`scheme://host[:port]`).
    List(Vec<HeaderValue>),
}

impl CorsOrigins {
    /// From the configured list: empty for none, `*` for any, or origins.
    pub fn parse(origins: &[String]) -> anyhow::Result<Self> {
        let origins: Vec<&str> = origins
            .iter()
            .map(|origin| origin.trim())
            .filter(|origin| !origin.is_empty())
            .collect();
        if origins.is_empty() {
            return Ok(CorsOrigins::None);
        }
        if origins == ["*"] {
            return Ok(CorsOrigins::Any);
        }
        let mut allowed = Vec::with_capacity(origins.len());
        for origin in origins {
            let (scheme, host) = origin.split_once("://").unwrap_or_default();
            anyhow::ensure!(
                matches!(scheme, "http" | "https")
                    && !host.is_empty()
                    && !host.contains(['/', '?', '#', '*', ' ']),
                "COMMUNIQUE_CORS_ORIGINS: `{origin}` is not an origin such as \
                 `https://app.example.org` or `http://localhost:5173` (or use `*` alone)"
            );
            allowed.push(HeaderValue::from_str(origin)?);
        }
        Ok(CorsOrigins::List(allowed))
    }
}

/// The CORS layer for `origins`; none when no other origin is allowed, so that a
/// preflight gets 405 and no response varies by origin.
pub fn layer(origins: &CorsOrigins) -> Option<CorsLayer> {
    let allow_origin = match origins {
        CorsOrigins::None => return None,
        CorsOrigins::Any => AllowOrigin::any(),
        CorsOrigins::List(list) => AllowOrigin::list(list.clone()),
    };
    let layer = CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("traceparent"),
            HeaderName::from_static("tracestate"),
            HeaderName::from_static("apollographql-client-name"),
            HeaderName::from_static("apollographql-client-version"),
        ])
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("traceparent"),
        ])
        .max_age(MAX_AGE);
    Some(layer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_and_bad_ones_are_refused() {
        assert!(matches!(CorsOrigins::parse(&[]), Ok(CorsOrigins::None)));
        assert!(matches!(
            CorsOrigins::parse(&["*".into()]),
            Ok(CorsOrigins::Any)
        ));
        let list =
            CorsOrigins::parse(&["http://localhost:5173".into(), " https://a.example ".into()]);
        assert!(matches!(list, Ok(CorsOrigins::List(origins)) if origins.len() == 2));
        for bad in [
            "localhost:5173",
            "http://a.example/path",
            "ftp://a.example",
            "*.example.org",
        ] {
            assert!(CorsOrigins::parse(&[bad.into()]).is_err(), "{bad}");
        }
    }
}
