//! GraphQL over HTTP, as the GraphQL-over-HTTP specification asks.
//!
//! - `POST /graphql` takes `application/json` only; any other content type is refused
//!   with 415, so a form post or `text/plain` request from another site cannot run.
//! - `GET /graphql` runs queries only; a mutation is refused with 405.
//! - The response is `application/graphql-response+json` when `Accept` prefers it or
//!   names it first, and `application/json` otherwise, also for `*/*` and no `Accept`
//!   (the legacy clients that send those read `application/json`); 406 when `Accept`
//!   allows neither.
//! - With `application/graphql-response+json`, a request that fails before execution
//!   (unparsable, invalid, unknown operation, bad variables) gets 400; with
//!   `application/json` every well-formed request gets 200.
//! - A body that is not one GraphQL request (bad JSON, a batch, no `query`) gets 400;
//!   one over the body limit 413 `PAYLOAD_TOO_LARGE`; one that has not all arrived by
//!   the request timeout 408 `TIMEOUT` (the timeout bounds reading the body and running
//!   the operation together, with one timer).
//! - A query may be persisted (see [`super::persisted`]); results are shaped exactly as
//!   the specification asks (see [`crate::graphql::response`]); every error carries an
//!   `extensions.code` (see [`super::codes`]).

use std::collections::BTreeMap;
use std::pin::{Pin, pin};

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Request, ServerError, Variables};
use axum::body::Bytes;
use axum::extract::{FromRequest, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Extension, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::time::Sleep;

use super::AppState;
use super::codes;
use super::persisted::Named;
use crate::graphql::variables::InputTypes;
use crate::graphql::{cost, inputs, loaders, response};
use crate::telemetry::GraphqlOutcome;

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

/// The parameters of one GraphQL request, from a JSON body or a query string.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    query: Option<serde_json::Value>,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<serde_json::Value>,
    #[serde(default)]
    extensions: Option<serde_json::Value>,
    #[serde(default)]
    document_id: Option<String>,
}

/// `POST /graphql`. The body is read within the request's time: a client that has not
/// sent it all by then gets 408.
pub async fn post(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let headers = request.headers();
    let Some(media) = negotiate(headers) else {
        return not_acceptable();
    };
    if !is_json_content_type(headers) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "BAD_REQUEST_METHOD_OR_TYPE",
            "send the request as `Content-Type: application/json`",
        );
    }
    // One timer for the whole request, reading its body and then running it.
    let mut deadline = pin!(tokio::time::sleep(state.request_timeout));
    let Some(body) = within(deadline.as_mut(), Bytes::from_request(request, &())).await else {
        let message = format!(
            "the request body did not arrive within {} ms",
            state.request_timeout.as_millis()
        );
        return request_error(StatusCode::REQUEST_TIMEOUT, media, "TIMEOUT", &message);
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let message = "the request body is larger than the server takes";
            return request_error(rejection.status(), media, "PAYLOAD_TOO_LARGE", message);
        }
        Err(rejection) => return bad_request(media, &rejection.body_text()),
    };
    match parse_body(&body) {
        Ok(params) => execute(&state, params, media, Method::Post, deadline).await,
        Err(message) => bad_request(media, &message),
    }
}

/// `work`, or None when the request's `deadline` passes first.
async fn within<T>(deadline: Pin<&mut Sleep>, work: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        biased;
        done = work => Some(done),
        () = deadline => None,
    }
}

/// The parameters of a POST body, read straight from its bytes, or why it is not one
/// GraphQL request.
fn parse_body(body: &[u8]) -> Result<Params, String> {
    let not_json = |e: serde_json::Error| format!("the body is not valid JSON: {e}");
    if body.trim_ascii_start().starts_with(b"[") {
        // A batch, if it is JSON at all.
        serde_json::from_slice::<serde::de::IgnoredAny>(body).map_err(not_json)?;
        return Err(
            "batched requests are not supported; send one operation per request".to_owned(),
        );
    }
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => format!("the body is not a GraphQL request: {e}"),
        _ => not_json(e),
    })
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
            Err(e) => return bad_request(media, &format!("the query string is malformed: {e}")),
        };
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    // The JSON parameters, or the message of the first that does not parse.
    let json_param = |name: &str| match param(name) {
        None => Ok(None),
        Some(text) => serde_json::from_str::<serde_json::Value>(&text)
            .map(Some)
            .map_err(|e| format!("`{name}` is not valid JSON: {e}")),
    };
    let (variables, extensions) = match (json_param("variables"), json_param("extensions")) {
        (Ok(variables), Ok(extensions)) => (variables, extensions),
        (Err(message), _) | (_, Err(message)) => return bad_request(media, &message),
    };
    let params = Params {
        query: param("query").map(serde_json::Value::String),
        operation_name: param("operationName"),
        variables,
        extensions,
        document_id: param("documentId"),
    };
    let deadline = pin!(tokio::time::sleep(state.request_timeout));
    execute(&state, params, media, Method::Get, deadline).await
}

/// The HTTP method a request came by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

/// Checks what GraphQL leaves to HTTP before the operation runs: a GET may only select
/// a query, every non-null variable without a default must be given, and every value
/// given must fit its variable's type (the spec makes a failed variable coercion a
/// request error, which async-graphql would report only once a field reads the
/// variable, or in the full validation a kept document skips). An operation that
/// cannot be picked is left to execution, which reports it. Returns the refusal, if any.
fn refusal(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    input_types: &InputTypes,
    media: MediaType,
    method: Method,
) -> Option<Response> {
    let operation = response::operation(document, operation_name)?;
    if method == Method::Get && operation.ty != OperationType::Query {
        let mut response = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            "BAD_REQUEST_METHOD_OR_TYPE",
            "only queries may be sent with GET; send mutations with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Some(response);
    }
    let given = operation
        .variable_definitions
        .iter()
        .find_map(|definition| {
            let definition = &definition.node;
            let value = variables.get(&definition.name.node)?;
            let fits = input_types.check(&definition.name.node, &definition.var_type.node, value);
            fits.err()
        });
    if let Some(bad) = given {
        return Some(bad_input(media, &bad));
    }
    // A null given for a non-null variable was refused above, as a value of the wrong type.
    let missing = operation.variable_definitions.iter().find(|definition| {
        let definition = &definition.node;
        !definition.var_type.node.nullable
            && definition.default_value.is_none()
            && variables.get(&definition.name.node).is_none()
    })?;
    let definition = &missing.node;
    let message = format!(
        "variable `${}` of type `{}` is required and was not given a value",
        definition.name.node, definition.var_type.node
    );
    Some(request_error(
        media.request_error_status(),
        media,
        "BAD_USER_INPUT",
        &message,
    ))
}

/// Runs one request: its query text (persisted or sent), parsed (or kept), checked,
/// executed, and its result shaped as the specification asks.
/// Its execution is cancelled when `deadline` passes.
async fn execute(
    state: &AppState,
    params: Params,
    media: MediaType,
    method: Method,
    deadline: Pin<&mut Sleep>,
) -> Response {
    let query = match params.query {
        None => None,
        Some(serde_json::Value::String(query)) => Some(query),
        Some(_) => return bad_request(media, "`query` must be a string"),
    };
    let variables = match params.variables {
        None | Some(serde_json::Value::Null) => Variables::default(),
        Some(serde_json::Value::Object(variables)) => {
            if let Err(bad) = inputs::check_variables(&variables) {
                return bad_input(media, &bad);
            }
            Variables::from_json(serde_json::Value::Object(variables))
        }
        Some(_) => return bad_request(media, "`variables` must be an object"),
    };
    let named = Named {
        query,
        extensions: params.extensions.as_ref(),
        document_id: params.document_id.as_deref(),
    };
    let query = match state.persisted.resolve(named) {
        Ok(query) => query,
        Err(refusal) => {
            let status = match refusal.code {
                "BAD_REQUEST" => StatusCode::BAD_REQUEST,
                _ => media.request_error_status(),
            };
            return request_error(status, media, refusal.code, &refusal.message);
        }
    };
    if let Err(refusal) = cost::check_text(&query, &state.limits) {
        let status = media.request_error_status();
        return request_error(status, media, refusal.code(), &refusal.to_string());
    }
    let parsed = match state.documents.parse(&query, &state.shapes) {
        Ok(parsed) => parsed,
        Err(error) => {
            let errors = [codes::parse_error(&error)];
            return respond(media.request_error_status(), media, &Body::errors(&errors));
        }
    };
    let document = &parsed.document;
    let operation_name = params.operation_name;
    if let Some(response) = refusal(
        document,
        operation_name.as_deref(),
        &variables,
        &state.input_types,
        media,
        method,
    ) {
        return response;
    }
    let cost = match parsed.check(
        &state.shapes,
        &state.limits,
        operation_name.as_deref(),
        &variables,
    ) {
        Ok(cost) => cost,
        Err(refusal) => {
            let errors = [codes::error(refusal.code(), refusal.to_string(), &[])];
            let mut extensions = BTreeMap::new();
            if let cost::Refusal::TooCostly { cost, limit } = refusal {
                extensions.insert("cost".to_owned(), cost_extension(cost, limit));
            }
            let body = Body {
                errors: &errors,
                data: None,
                extensions: &extensions,
            };
            return respond(media.request_error_status(), media, &body);
        }
    };
    if let Err(bad) = parsed.arguments() {
        return bad_input(media, bad);
    }
    let mut request = Request::new(query).variables(variables.clone());
    if let Some(name) = &operation_name {
        request = request.operation_name(name);
    }
    request.set_parsed_query(ExecutableDocument::clone(document));
    let (request, batches) = loaders::register(request, &state.db, state.connections_per_request);
    let valid = parsed.is_valid();
    let schema = if valid {
        &state.schema_for_valid_documents
    } else {
        &state.schema
    };
    // Boxed where it is made: the execution is the largest future of a request, and
    // inline it was copied whole by each wrapper and into each enclosing future.
    let execution = Box::pin(batches.drive(schema.execute(request)));
    let Some(mut response) = within(deadline, execution).await else {
        // Dropping the execution drops its statements; the database cancels any still
        // running at its own statement timeout, which is the same.
        let message = format!(
            "the request took longer than {} ms and was cancelled",
            state.request_timeout.as_millis()
        );
        return request_error(StatusCode::GATEWAY_TIMEOUT, media, "TIMEOUT", &message);
    };
    // Errors raised before execution carry no path; field errors always do. Such a
    // response has no `data` entry at all, as the GraphQL spec asks.
    let failed_before_execution = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty());
    for error in &mut response.errors {
        codes::classify(error, document, failed_before_execution);
    }
    // Written once, not on every request: the flag is shared by every request for the
    // document, on every core.
    if !valid && !failed_before_execution {
        parsed.validated();
    }
    codes::bound(&mut response.errors);
    // Metrics and the access log name the operation that ran: the one asked for, or the
    // document's only named one.
    let ran = operation_name
        .clone()
        .or_else(|| match &document.operations {
            DocumentOperations::Multiple(operations) if operations.len() == 1 => {
                operations.keys().next().map(ToString::to_string)
            }
            _ => None,
        });
    if let Some(cost) = cost {
        response
            .extensions
            .insert("cost".to_owned(), cost_extension(cost, state.limits.cost));
    }
    let outcome = Extension(GraphqlOutcome::new(ran, &response));
    if failed_before_execution {
        let body = Body {
            errors: &response.errors,
            data: None,
            extensions: &response.extensions,
        };
        return (outcome, respond(media.request_error_status(), media, &body)).into_response();
    }
    let data = std::mem::take(&mut response.data);
    let data = state.shapes.shape(
        data,
        &response.errors,
        document,
        operation_name.as_deref(),
        &variables,
    );
    let body = Body {
        errors: &response.errors,
        data: Some(&data),
        extensions: &response.extensions,
    };
    (outcome, respond(status_of(&response.errors), media, &body)).into_response()
}

/// `extensions.cost`: what the operation costs and the most a request may.
fn cost_extension(cost: cost::Cost, limit: u64) -> async_graphql::Value {
    let mut figures = async_graphql::indexmap::IndexMap::new();
    figures.insert(
        async_graphql::Name::new("requested"),
        async_graphql::Value::from(cost.requested),
    );
    figures.insert(
        async_graphql::Name::new("limit"),
        async_graphql::Value::from(limit),
    );
    async_graphql::Value::Object(figures)
}

/// The status of a response that ran: 503 when the database could not be reached, 504
/// when it cancelled a statement at its timeout, 200 otherwise.
fn status_of(errors: &[ServerError]) -> StatusCode {
    let has = |wanted: &str| {
        errors.iter().any(|error| {
            error.extensions.as_ref().and_then(|e| e.get("code"))
                == Some(&async_graphql::Value::from(wanted))
        })
    };
    if has("SERVICE_UNAVAILABLE") {
        StatusCode::SERVICE_UNAVAILABLE
    } else if has("TIMEOUT") {
        StatusCode::GATEWAY_TIMEOUT
    } else {
        StatusCode::OK
    }
}

/// A GraphQL response body: `errors` first when there are any, `data` when execution
/// started (null when a null reached the root), `extensions` when there are any.
#[derive(Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "<[ServerError]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, async_graphql::Value>,
}

impl<'a> Body<'a> {
    /// The body of a request that could not run.
    fn errors(errors: &'a [ServerError]) -> Self {
        static NONE: BTreeMap<String, async_graphql::Value> = BTreeMap::new();
        Body {
            errors,
            data: None,
            extensions: &NONE,
        }
    }
}

/// `body` as JSON in `media`, with `status`.
fn respond(status: StatusCode, media: MediaType, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(body) => (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot serialize a GraphQL response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A request error with code `BAD_USER_INPUT` naming the argument over a bound.
fn bad_input(media: MediaType, bad: &inputs::BadInput) -> Response {
    let mut error = codes::error(
        "BAD_USER_INPUT",
        format!("`{}` {}", bad.argument, bad.reason),
        &[],
    );
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("argument", bad.argument.as_str());
    respond(media.request_error_status(), media, &Body::errors(&[error]))
}

/// 400 with code `BAD_REQUEST`: the body is not one GraphQL request.
fn bad_request(media: MediaType, message: &str) -> Response {
    request_error(StatusCode::BAD_REQUEST, media, "BAD_REQUEST", message)
}

/// A GraphQL-shaped error for a request that could not be run at all.
fn request_error(status: StatusCode, media: MediaType, code: &str, message: &str) -> Response {
    let errors = [codes::error(code, message, &[])];
    respond(status, media, &Body::errors(&errors))
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
/// the highest non-zero quality wins; on a tie, the one `Accept` names itself, and the
/// first named when it names both. A wildcard alone, or no `Accept`, gets
/// `application/json`.
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Some(MediaType::Json);
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
    // (quality, named, earlier): larger is better.
    let rank = |media: MediaType| -> (f32, bool, usize) {
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
            .enumerate()
            .filter_map(|(index, (range, q))| specificity(range).map(|s| (s, *q, index)))
            .max_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
            .map_or((0.0, false, 0), |(s, q, index)| {
                (q, s == 2, usize::MAX - index)
            })
    };
    let graphql = rank(MediaType::GraphqlResponseJson);
    let json = rank(MediaType::Json);
    let better = |a: (f32, bool, usize), b: (f32, bool, usize)| {
        a.0.total_cmp(&b.0)
            .then(a.1.cmp(&b.1))
            .then(if a.1 && b.1 {
                a.2.cmp(&b.2)
            } else {
                std::cmp::Ordering::Equal
            })
            .is_gt()
    };
    if graphql.0 > 0.0 && better(graphql, json) {
        Some(MediaType::GraphqlResponseJson)
    } else if json.0 > 0.0 {
        Some(MediaType::Json)
    } else {
        None
    }
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
