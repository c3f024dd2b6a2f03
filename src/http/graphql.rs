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

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Request, Variables};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
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

    fn essence(self) -> &'static str {
        match self {
            MediaType::GraphqlResponseJson => "application/graphql-response+json",
            MediaType::Json => "application/json",
        }
    }

    /// The status of a well-formed request that cannot run (parse, validation or
    /// variable errors): 400 in `application/graphql-response+json`; 200 in
    /// `application/json`, whose clients read errors from the body.
    fn request_error_status(self) -> StatusCode {
        match self {
            MediaType::GraphqlResponseJson => StatusCode::BAD_REQUEST,
            MediaType::Json => StatusCode::OK,
        }
    }
}

/// The parameters of one GraphQL request, from a JSON body. Request `extensions` are
/// accepted and ignored: no extension is supported yet.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    query: Option<serde_json::Value>,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<serde_json::Value>,
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
    execute(&state, request, media, Method::Post).await
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
    let request = match build_request(query, operation_name, variables) {
        Ok(request) => request,
        Err(message) => return request_error(StatusCode::BAD_REQUEST, media, &message),
    };
    execute(&state, request, media, Method::Get).await
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

/// The HTTP method a request came by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

/// Checks what GraphQL leaves to HTTP before the request runs: a GET may only select a
/// query, and every non-null variable without a default must be given (the spec makes a
/// failed variable coercion a request error, which async-graphql would only report once
/// a field reads the variable). The parsed document stays in `request`, so the query is
/// parsed at most once. A document that does not parse, or names no usable operation,
/// is left to execution, which reports it. Returns the refusal, if any.
fn check_before_execution(
    request: &mut Request,
    media: MediaType,
    method: Method,
) -> Option<Response> {
    // Lend the name and variables out while the cached document is borrowed.
    let operation_name = request.operation_name.take();
    let variables = std::mem::take(&mut request.variables);
    let refusal = match request.parsed_query() {
        Ok(document) => refusal(
            document,
            operation_name.as_deref(),
            &variables,
            media,
            method,
        ),
        Err(_) => None,
    };
    request.operation_name = operation_name;
    request.variables = variables;
    refusal
}

/// The refusal of the operation `document` would run under `operation_name`, if any.
fn refusal(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    media: MediaType,
    method: Method,
) -> Option<Response> {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    let operation = &operation?.node;
    if method == Method::Get && operation.ty != OperationType::Query {
        let mut response = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            "only queries may be sent with GET; send mutations with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Some(response);
    }
    let missing = operation.variable_definitions.iter().find(|definition| {
        let definition = &definition.node;
        !definition.var_type.node.nullable
            && definition.default_value.is_none()
            && variables
                .get(&definition.name.node)
                .is_none_or(|value| *value == async_graphql::Value::Null)
    })?;
    let definition = &missing.node;
    let message = format!(
        "variable `${}` of type `{}` is required and was not given a value",
        definition.name.node, definition.var_type.node
    );
    Some(request_error(media.request_error_status(), media, &message))
}

async fn execute(
    state: &AppState,
    mut request: Request,
    media: MediaType,
    method: Method,
) -> Response {
    state.documents.prepare(&mut request);
    if let Some(response) = check_before_execution(&mut request, media, method) {
        return response;
    }
    let (request, batches) = loaders::register(request, &state.db);
    let response = batches.drive(state.schema.execute(request)).await;
    // Errors raised before execution carry no path; field errors always do. Such a
    // response has no `data` entry at all, as the GraphQL spec asks.
    let failed_before_execution = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty());
    let (status, body) = if failed_before_execution {
        let mut body = json!({ "errors": response.errors });
        if !response.extensions.is_empty() {
            body["extensions"] = json!(response.extensions);
        }
        (media.request_error_status(), serde_json::to_vec(&body))
    } else {
        (StatusCode::OK, serde_json::to_vec(&response))
    };
    match body {
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

/// The media type to answer in, from `Accept` (RFC 9110, section 12.5.1): each of ours
/// takes the quality of the most specific range that matches it (`type/subtype` over
/// `type/*` over `*/*`), so `application/json;q=0, */*` still refuses JSON. The one with
/// the highest non-zero quality wins, `application/graphql-response+json` on ties and
/// when no `Accept` is sent.
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Some(MediaType::GraphqlResponseJson);
    };
    let ranges: Vec<(String, f32)> = accept
        .to_str()
        .unwrap_or_default()
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';').map(str::trim);
            let essence = parts.next()?.to_ascii_lowercase();
            let quality = parts
                .filter_map(|param| param.strip_prefix("q=").or(param.strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((essence, quality))
        })
        .collect();
    let quality = |media: MediaType| -> f32 {
        let essence = media.essence();
        let type_wildcard = format!("{}/*", essence.split('/').next().unwrap_or_default());
        let specificity = |range: &str| {
            if range == essence {
                Some(2)
            } else if range == type_wildcard {
                Some(1)
            } else if range == "*/*" {
                Some(0)
            } else {
                None
            }
        };
        ranges
            .iter()
            .filter_map(|(range, q)| specificity(range).map(|s| (s, *q)))
            .max_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
            .map_or(0.0, |(_, q)| q)
    };
    [MediaType::GraphqlResponseJson, MediaType::Json]
        .into_iter()
        .map(|media| (quality(media), media))
        .filter(|(q, _)| *q > 0.0)
        .fold(
            None,
            |best: Option<(f32, MediaType)>, candidate| match best {
                Some(best) if best.0 >= candidate.0 => Some(best),
                _ => Some(candidate),
            },
        )
        .map(|(_, media)| media)
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
