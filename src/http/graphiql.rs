//! `GET /`: GraphiQL, with every file it loads served from the binary under a strict
//! Content-Security-Policy, so the page works with no network but the server's.
//!
//! `build.rs` embeds the files at the versions `web/package-lock.json` pins, each with its
//! SHA-384. The page loads them from `/graphiql/NAME?v=VERSION`, with subresource
//! integrity; an asset asked for with its current version is cached for good, since a new
//! version is a new URL. A build that could not get the files serves, at `/`, a page that
//! says why and how to get GraphiQL.

use std::sync::LazyLock;

use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// One file of the page, embedded by `build.rs`.
struct Asset {
    /// The name it is served under, in `/graphiql/`.
    name: &'static str,
    content_type: &'static str,
    /// `sha384-…`, for the `integrity` attribute.
    integrity: &'static str,
    /// A tag of the content, for the `v` query parameter.
    version: &'static str,
    bytes: &'static [u8],
}

impl Asset {
    fn is_stylesheet(&self) -> bool {
        self.content_type.starts_with("text/css")
    }
}

// `const BUNDLE: Result<&[Asset], &str>`: the files, or why the build has none.
include!(concat!(env!("OUT_DIR"), "/graphiql_assets.rs"));

/// GraphiQL needs nothing else: `data:` for the fonts and images its stylesheet inlines,
/// inline styles for the ones React sets, and the API for `connect-src`.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; \
    connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Sent with the page and with every asset.
const SECURITY_HEADERS: [(header::HeaderName, &str); 3] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The page `/` serves: GraphiQL, or the explanation of its absence.
static PAGE: LazyLock<String> = LazyLock::new(|| match BUNDLE {
    Ok(assets) => graphiql_page(assets, include_str!("graphiql/default.graphql")),
    Err(reason) => unavailable_page(reason),
});

/// `GET /`.
pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SECURITY_HEADERS,
        PAGE.as_str(),
    )
        .into_response()
}

/// The query string of an asset's URL.
#[derive(Debug, Deserialize)]
pub struct AssetQuery {
    /// The version the page asked for.
    v: Option<String>,
}

/// `GET /graphiql/{name}`: cached for good when asked for at its current version.
pub async fn asset(Path(name): Path<String>, Query(query): Query<AssetQuery>) -> Response {
    let found = BUNDLE
        .ok()
        .and_then(|assets| assets.iter().find(|asset| asset.name == name));
    let Some(asset) = found else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            SECURITY_HEADERS,
            "no such GraphiQL file in this build\n",
        )
            .into_response();
    };
    let cache_control = if query.v.as_deref() == Some(asset.version) {
        IMMUTABLE
    } else {
        "no-cache"
    };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, cache_control),
        ],
        SECURITY_HEADERS,
        asset.bytes,
    )
        .into_response()
}

/// The GraphiQL page: a `<link>` for each stylesheet and a `<script>` for each script of
/// `assets`, in their order, and `default_query` in a JSON data block for `boot.js`.
fn graphiql_page(assets: &[Asset], default_query: &str) -> String {
    let tag = |asset: &Asset| {
        let url = format!("/graphiql/{}?v={}", asset.name, asset.version);
        if asset.is_stylesheet() {
            format!(
                r#"    <link rel="stylesheet" href="{url}" integrity="{}" />"#,
                asset.integrity
            )
        } else {
            format!(
                r#"    <script src="{url}" integrity="{}"></script>"#,
                asset.integrity
            )
        }
    };
    let (stylesheets, scripts): (Vec<&Asset>, Vec<&Asset>) =
        assets.iter().partition(|asset| asset.is_stylesheet());
    let lines = |assets: Vec<&Asset>| assets.into_iter().map(tag).collect::<Vec<_>>().join("\n");
    include_str!("graphiql/page.html")
        .replace("__STYLESHEETS__", &lines(stylesheets))
        .replace("__SCRIPTS__", &lines(scripts))
        .replace("__DEFAULT_QUERY__", &json_in_script(default_query))
}

/// `text` as a JSON string that cannot end the `<script>` element holding it.
fn json_in_script(text: &str) -> String {
    serde_json::Value::from(text)
        .to_string()
        .replace('<', "\\u003c")
}

fn unavailable_page(reason: &str) -> String {
    let escaped = reason
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    include_str!("graphiql/unavailable.html").replace("__REASON__", &escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASSETS: [Asset; 2] = [
        Asset {
            name: "a.css",
            content_type: "text/css; charset=utf-8",
            integrity: "sha384-A",
            version: "1",
            bytes: b"",
        },
        Asset {
            name: "b.js",
            content_type: "text/javascript; charset=utf-8",
            integrity: "sha384-B",
            version: "2",
            bytes: b"",
        },
    ];

    #[test]
    fn the_page_links_each_asset_at_its_version_with_its_integrity() {
        let page = graphiql_page(&ASSETS, "{ a }");
        assert!(
            page.contains(
                r#"<link rel="stylesheet" href="/graphiql/a.css?v=1" integrity="sha384-A" />"#
            ),
            "{page}"
        );
        assert!(
            page.contains(r#"<script src="/graphiql/b.js?v=2" integrity="sha384-B"></script>"#),
            "{page}"
        );
    }

    #[test]
    fn the_default_query_cannot_close_its_script_element() {
        let page = graphiql_page(&ASSETS, "# </script><script>alert(1)</script>\n{ a }");
        assert!(
            page.contains(
                r##">"# \u003c/script>\u003cscript>alert(1)\u003c/script>\n{ a }"</script>"##
            ),
            "{page}"
        );
        assert_eq!(page.matches("<script").count(), 2, "{page}");
    }

    #[test]
    fn the_unavailable_page_escapes_the_reason() {
        let page = unavailable_page("npm said <b>no</b> & stopped");
        assert!(
            page.contains("npm said &lt;b&gt;no&lt;/b&gt; &amp; stopped"),
            "{page}"
        );
    }
}
