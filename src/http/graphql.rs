//! GraphQL over HTTP, as the GraphQL-over-HTTP specification asks.
//!
//! - `POST /graphql` takes `application/json` only; any other content type is refused
//!   with 415, so a form post or `text/plain` request from another site cannot run.
//! - `GET /graphql` runs queries only; a mutation is refused with 405.
//! - The response is `application/graphql-response+json` (also when no `Accept` is sent)
//!   or `application/json`, as `Accept` asks; 406 when neither is acceptable.
//! - With `application/graphql-response+json`, a request that fails before execution
//!   (unparsable, invalid, unknown operation, bad variables) gets 400; with
//!   `application/json` every well-formed request gets 200.
//! - A body that is not one GraphQL request (bad JSON, a batch, no `query`) gets 400.

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Request, Variables};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use crate::graphql::loaders;

/// The response media types we can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphqlResponseJson,
    Json,
}

impl MediaType {
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            MediaType::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            MediaType::Json => "application/json; charset=utf-8",
        })
    }
}

/// The parameters of one GraphQL request, from a JSON body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    query: Option<serde_json::Value>,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    extensions: Option<serde_json::Value>,
}

/// `POST /graphql`.
pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    if !is_json_content_type(&headers) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "send the request as `Content-Type: application/json`",
        );
    }
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                &format!("the body is not valid JSON: {e}"),
            );
        }
    };
    if value.is_array() {
        return request_error(
            StatusCode::BAD_REQUEST,
            media,
            "batched requests are not supported; send one operation per request",
        );
    }
    let params: Params = match serde_json::from_value(value) {
        Ok(params) => params,
        Err(e) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                &format!("the body is not a GraphQL request: {e}"),
            );
        }
    };
    let request = match build_request(params.query, params.operation_name, params.variables) {
        Ok(request) => request,
        Err(message) => return request_error(StatusCode::BAD_REQUEST, media, &message),
    };
    execute(&state, request, media).await
}

/// `GET /graphql`: queries only.
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let pairs: Vec<(String, String)> =
        match serde_urlencoded::from_str(raw.as_deref().unwrap_or("")) {
            Ok(pairs) => pairs,
            Err(e) => {
                return request_error(
                    StatusCode::BAD_REQUEST,
                    media,
                    &format!("the query string is malformed: {e}"),
                );
            }
        };
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let variables =
        match param("variables").map(|text| serde_json::from_str::<serde_json::Value>(&text)) {
            None => None,
            Some(Ok(value)) => Some(value),
            Some(Err(e)) => {
                return request_error(
                    StatusCode::BAD_REQUEST,
                    media,
                    &format!("`variables` is not valid JSON: {e}"),
                );
            }
        };
    let operation_name = param("operationName");
    let query = param("query").map(serde_json::Value::String);
    let request = match build_request(query, operation_name.clone(), variables) {
        Ok(request) => request,
        Err(message) => return request_error(StatusCode::BAD_REQUEST, media, &message),
    };
    if selects_non_query(&request.query, operation_name.as_deref()) {
        let mut response = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            "only queries may be sent with GET; send mutations with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    execute(&state, request, media).await
}

/// `GET /`: GraphiQL, opened on a query over the seed data.
pub async fn graphiql() -> Html<String> {
    const PAGE: &str = include_str!("graphiql.html");
    let query = serde_json::to_string(include_str!("graphiql_default.graphql")).unwrap_or_default();
    Html(PAGE.replace("__DEFAULT_QUERY__", &query))
}

fn build_request(
    query: Option<serde_json::Value>,
    operation_name: Option<String>,
    variables: Option<serde_json::Value>,
) -> Result<Request, String> {
    let query = match query {
        Some(serde_json::Value::String(query)) => query,
        Some(_) => return Err("`query` must be a string".to_owned()),
        None => return Err("the request has no `query`".to_owned()),
    };
    let mut request = Request::new(query);
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    match variables {
        None | Some(serde_json::Value::Null) => {}
        Some(value @ serde_json::Value::Object(_)) => {
            request = request.variables(Variables::from_json(value))
        }
        Some(_) => return Err("`variables` must be an object".to_owned()),
    }
    Ok(request)
}

/// True when the operation `query` would run is a mutation or subscription. A query
/// that does not parse is left to execution, which reports the syntax error.
fn selects_non_query(query: &str, operation_name: Option<&str>) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => Some(&operation.node.ty),
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(name).map(|operation| &operation.node.ty)
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => operations
            .values()
            .next()
            .map(|operation| &operation.node.ty),
        (DocumentOperations::Multiple(_), None) => None,
    };
    operation.is_some_and(|ty| *ty != OperationType::Query)
}

async fn execute(state: &AppState, request: Request, media: MediaType) -> Response {
    let (request, batches) = loaders::register(request, &state.db);
    let response = batches.drive(state.schema.execute(request)).await;
    // Errors raised before execution carry no path; field errors always do.
    let failed_before_execution = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty());
    let status = if media == MediaType::GraphqlResponseJson && failed_before_execution {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    match serde_json::to_vec(&response) {
        Ok(body) => (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot serialize a GraphQL response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A GraphQL-shaped error for a request that could not be run at all.
fn request_error(status: StatusCode, media: MediaType, message: &str) -> Response {
    let code = if status == StatusCode::BAD_REQUEST {
        "BAD_REQUEST"
    } else {
        "BAD_REQUEST_METHOD_OR_TYPE"
    };
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        body.to_string(),
    )
        .into_response()
}

/// True for `application/json`, with no charset or UTF-8.
fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    essence.eq_ignore_ascii_case("application/json")
        && parts.all(|param| match param.split_once('=') {
            Some((name, charset)) if name.trim().eq_ignore_ascii_case("charset") => charset
                .trim()
                .trim_matches('"')
                .eq_ignore_ascii_case("utf-8"),
            _ => true,
        })
}

/// The media type to answer in, from `Accept`: the acceptable one with the highest
/// quality, `application/graphql-response+json` on ties, wildcards and no header.
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Some(MediaType::GraphqlResponseJson);
    };
    let accept = accept.to_str().unwrap_or_default();
    let mut best: Option<(f32, MediaType)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let essence = parts.next().unwrap_or_default().to_ascii_lowercase();
        let quality = parts
            .filter_map(|param| param.strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let media = match essence.as_str() {
            "application/graphql-response+json" | "application/*" | "*/*" => {
                MediaType::GraphqlResponseJson
            }
            "application/json" => MediaType::Json,
            _ => continue,
        };
        if quality <= 0.0 {
            continue;
        }
        let better = match best {
            None => true,
            Some((q, current)) => {
                quality > q
                    || (quality == q
                        && current == MediaType::Json
                        && media == MediaType::GraphqlResponseJson)
            }
        };
        if better {
            best = Some((quality, media));
        }
    }
    best.map(|(_, media)| media)
}

/// 406, for an `Accept` that allows none of our media types.
fn not_acceptable() -> Response {
    let body = json!({ "errors": [{
        "message": "cannot answer in any media type `Accept` allows; accept application/graphql-response+json or application/json",
        "extensions": { "code": "NOT_ACCEPTABLE" },
    }] });
    let content_type = [(header::CONTENT_TYPE, MediaType::Json.content_type())];
    (StatusCode::NOT_ACCEPTABLE, content_type, body.to_string()).into_response()
}
