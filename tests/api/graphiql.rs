//! GraphiQL at `/`: every file it loads comes from the server, with its integrity, under
//! a Content-Security-Policy that allows no inline script and no other origin. The page
//! touches no database, so these run on SQLite only.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use base64::Engine as _;
use http_body_util::BodyExt;
use sha2::{Digest, Sha384};
use tower::ServiceExt;

use crate::helpers::TestDb;

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; \
    connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `GET path` through the real router.
async fn get(path: &str) -> (StatusCode, HeaderMap, Bytes) {
    let test_db = TestDb::sqlite().await;
    let request = Request::get(path).body(Body::empty()).expect("a request");
    let response = communique::http::router(test_db.db.clone(), 1 << 20)
        .oneshot(request)
        .await
        .expect("a response");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("a body").to_bytes();
    (parts.status, parts.headers, body)
}

fn header(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(&name)
        .map(|value| value.to_str().expect("an ASCII header"))
        .unwrap_or_default()
}

fn assert_security_headers(headers: &HeaderMap) {
    assert_eq!(header(headers, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(header(headers, header::REFERRER_POLICY), "no-referrer");
    assert_eq!(header(headers, header::X_FRAME_OPTIONS), "DENY");
}

/// The page, failing with the reason when this build has no GraphiQL.
async fn graphiql_page() -> String {
    let (status, _, body) = get("/").await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(body.to_vec()).expect("UTF-8");
    assert!(
        page.contains("graphiql-default-query"),
        "this build has no GraphiQL (its build script warned why); `/` says:\n{page}"
    );
    page
}

/// The value of each `attribute="…"` in `page`, in order.
fn attribute_values<'a>(page: &'a str, attribute: &str) -> Vec<&'a str> {
    let opening = format!(" {attribute}=\"");
    page.split(&opening)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn the_page_allows_no_inline_script_no_other_origin_and_no_framing() {
    let (status, headers, _) = get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&headers, header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    assert_eq!(
        header(&headers, header::CONTENT_SECURITY_POLICY),
        CONTENT_SECURITY_POLICY
    );
    assert_eq!(header(&headers, header::CACHE_CONTROL), "no-cache");
    assert_security_headers(&headers);
}

#[tokio::test]
async fn the_page_holds_no_inline_script_and_loads_nothing_from_elsewhere() {
    let page = graphiql_page().await;
    let scripts: Vec<&str> = page.split("<script").skip(1).collect();
    assert!(
        scripts
            .iter()
            .all(|script| script.starts_with(" src=\"/graphiql/")
                || script.starts_with(" type=\"application/json\"")),
        "{page}"
    );
    let urls = [
        attribute_values(&page, "href"),
        attribute_values(&page, "src"),
    ]
    .concat();
    assert!(
        urls.iter()
            .all(|url| url.starts_with("/graphiql/") || url.starts_with("data:")),
        "{urls:?}"
    );
}

#[tokio::test]
async fn every_file_the_page_loads_is_served_with_the_integrity_the_page_states() {
    let page = graphiql_page().await;
    let urls: Vec<&str> = [
        attribute_values(&page, "href"),
        attribute_values(&page, "src"),
    ]
    .concat()
    .into_iter()
    .filter(|url| url.starts_with("/graphiql/"))
    .collect();
    let integrities = attribute_values(&page, "integrity");
    assert_eq!(urls.len(), 5, "a stylesheet and four scripts: {urls:?}");
    assert_eq!(integrities.len(), urls.len(), "{page}");
    for url in urls {
        let (status, headers, body) = get(url).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        let expected_type = if url.contains(".css?") {
            "text/css; charset=utf-8"
        } else {
            "text/javascript; charset=utf-8"
        };
        assert_eq!(
            header(&headers, header::CONTENT_TYPE),
            expected_type,
            "{url}"
        );
        assert_eq!(
            header(&headers, header::CACHE_CONTROL),
            "public, max-age=31536000, immutable",
            "{url}"
        );
        assert_security_headers(&headers);
        let integrity = format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&body))
        );
        assert!(
            page.contains(&format!(r#"{url}" integrity="{integrity}""#)),
            "{url} is served with {integrity}, which the page does not state"
        );
    }
}

#[tokio::test]
async fn the_page_carries_the_default_query_as_json() {
    let page = graphiql_page().await;
    let block = page
        .split(r#"<script type="application/json" id="graphiql-default-query">"#)
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("the default query's data block");
    let query: String = serde_json::from_str(block).expect("a JSON string");
    assert_eq!(
        query,
        include_str!("../../src/http/graphiql/default.graphql")
    );
}

#[tokio::test]
async fn a_file_asked_for_without_its_version_is_not_cached_for_good() {
    let (status, headers, _) = get("/graphiql/boot.js").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, header::CACHE_CONTROL), "no-cache");
}

#[tokio::test]
async fn an_unknown_file_is_not_found() {
    let (status, headers, _) = get("/graphiql/other.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_security_headers(&headers);
}
