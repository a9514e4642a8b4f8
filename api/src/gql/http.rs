//! GraphQL over HTTP, following the GraphQL-over-HTTP specification:
//! POST with `application/json`; GET for queries only (mutations → 405);
//! the response media type follows `Accept`; requests that cannot be parsed
//! or validated get 400 with `application/graphql-response+json`;
//! CSRF-prone content types (forms, multipart, text/plain) are refused.
//! Shared by `/graphql` (staff) and `/liff/graphql` (residents).

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Executor, Value};
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::auth::Caller;
use crate::sync::Lock;

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
pub const JSON: &str = "application/json";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    GraphqlResponseJson,
    Json,
}

impl MediaType {
    fn as_str(self) -> &'static str {
        match self {
            Self::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
            Self::Json => JSON,
        }
    }
}

/// Picks the response media type from `Accept` (highest q wins; ties prefer
/// `application/graphql-response+json`). No header, or only a wildcard,
/// means `application/json`, as the specification asks for legacy clients
/// (a client that names neither cannot be assumed to know the new type).
/// `None`: nothing acceptable.
pub fn negotiate(accept: Option<&str>) -> Option<MediaType> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(MediaType::Json);
    };
    let mut best: Option<(f32, MediaType)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let media = match mime.as_str() {
            GRAPHQL_RESPONSE_JSON => MediaType::GraphqlResponseJson,
            JSON | "application/*" | "*/*" => MediaType::Json,
            _ => continue,
        };
        let better = match best {
            None => true,
            Some((bq, bm)) => {
                q > bq || (q == bq && media == MediaType::GraphqlResponseJson && bm != media)
            }
        };
        if better {
            best = Some((q, media));
        }
    }
    best.map(|(_, m)| m)
}

/// A response that is not a GraphQL execution result: the request itself was refused.
pub fn request_error(status: StatusCode, code: &str, message: &str, media: MediaType) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.as_str()),
    );
    res
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    variables: Option<String>,
    operation_name: Option<String>,
    extensions: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostBody {
    query: Option<String>,
    #[serde(default)]
    variables: Option<serde_json::Value>,
    operation_name: Option<String>,
    #[serde(default)]
    extensions: Option<serde_json::Value>,
}

/// What one request may ask for beyond depth and complexity (which the
/// schema limits): complexity counts fields, not work, so the same root
/// field under many aliases would cost the database once per alias.
pub struct Limits {
    pub max_document_bytes: usize,
    /// Root fields of the operation (aliases and fragments included).
    pub max_root_fields: usize,
    /// Whether one root field may be asked for twice (under aliases).
    pub repeated_root_fields: bool,
    /// Aliases anywhere in the document.
    pub max_aliases: usize,
}

impl Limits {
    pub fn staff(c: &crate::config::Config) -> Self {
        Self {
            max_document_bytes: c.graphql_max_document_bytes,
            max_root_fields: 20,
            repeated_root_fields: true,
            max_aliases: 50,
        }
    }

    /// The residents' pages ask for one or two things at a time.
    pub fn residents(c: &crate::config::Config) -> Self {
        Self {
            max_document_bytes: c.graphql_max_document_bytes.min(8192),
            max_root_fields: 5,
            repeated_root_fields: false,
            max_aliases: 5,
        }
    }

    /// A refusal in words for the first limit `doc` passes, if any.
    fn check(
        &self,
        doc: &async_graphql::parser::types::ExecutableDocument,
        operation_name: Option<&str>,
    ) -> Option<String> {
        use async_graphql::parser::types::Selection;
        let aliases = count_aliases(doc);
        if aliases > self.max_aliases {
            return Some(format!(
                "too many aliases ({aliases}; at most {})",
                self.max_aliases
            ));
        }
        let op = match &doc.operations {
            DocumentOperations::Single(op) => op,
            // Without a matching name, execution reports the missing operation.
            DocumentOperations::Multiple(ops) => operation_name.and_then(|n| ops.get(n))?,
        };
        // Root fields, following fragments at the root (each at most once: no cycles).
        let mut names: Vec<&str> = Vec::new();
        let mut pending = vec![&op.node.selection_set.node];
        let mut seen_fragments = std::collections::HashSet::new();
        while let Some(set) = pending.pop() {
            for item in &set.items {
                match &item.node {
                    Selection::Field(f) => names.push(f.node.name.node.as_str()),
                    Selection::InlineFragment(i) => pending.push(&i.node.selection_set.node),
                    Selection::FragmentSpread(s) => {
                        let name = &s.node.fragment_name.node;
                        if seen_fragments.insert(name.as_str())
                            && let Some(f) = doc.fragments.get(name)
                        {
                            pending.push(&f.node.selection_set.node);
                        }
                    }
                }
            }
        }
        if names.len() > self.max_root_fields {
            return Some(format!(
                "too many root fields ({}; at most {})",
                names.len(),
                self.max_root_fields
            ));
        }
        if !self.repeated_root_fields {
            let mut sorted = names.clone();
            sorted.sort_unstable();
            if let Some(w) = sorted
                .windows(2)
                .find(|w| w[0] == w[1] && w[0] != "__typename")
            {
                return Some(format!(
                    "the root field {} is asked for more than once",
                    w[0]
                ));
            }
        }
        None
    }
}

fn count_aliases(doc: &async_graphql::parser::types::ExecutableDocument) -> usize {
    use async_graphql::parser::types::{Selection, SelectionSet};
    fn walk(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|i| match &i.node {
                Selection::Field(f) => {
                    usize::from(f.node.alias.is_some()) + walk(&f.node.selection_set.node)
                }
                Selection::InlineFragment(f) => walk(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let ops: usize = doc
        .operations
        .iter()
        .map(|(_, op)| walk(&op.node.selection_set.node))
        .sum();
    ops + doc
        .fragments
        .values()
        .map(|f| walk(&f.node.selection_set.node))
        .sum::<usize>()
}

/// Runs one GraphQL-over-HTTP request against `executor` as `caller`.
pub async fn handle<E: Executor>(
    executor: &E,
    limits: &Limits,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
    caller: Caller,
) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let Some(media) = negotiate(accept) else {
        return request_error(
            StatusCode::NOT_ACCEPTABLE,
            "NOT_ACCEPTABLE",
            "Accept must allow application/graphql-response+json or application/json",
            MediaType::Json,
        );
    };

    let parsed = if method == Method::POST {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != JSON {
            return request_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "Content-Type must be application/json",
                media,
            );
        }
        match serde_json::from_slice::<PostBody>(&body) {
            Ok(b) => (b.query, b.variables, b.operation_name, b.extensions),
            Err(_) => {
                return request_error(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "the body is not a GraphQL request in JSON",
                    media,
                );
            }
        }
    } else if method == Method::GET {
        match serde_urlencoded::from_str::<GetParams>(uri.query().unwrap_or("")) {
            Ok(p) => {
                let parse_json = |s: Option<String>| -> Result<Option<serde_json::Value>, ()> {
                    s.map(|s| serde_json::from_str(&s).map_err(|_| ()))
                        .transpose()
                };
                match (parse_json(p.variables), parse_json(p.extensions)) {
                    (Ok(v), Ok(e)) => (p.query, v, p.operation_name, e),
                    _ => {
                        return request_error(
                            StatusCode::BAD_REQUEST,
                            "BAD_REQUEST",
                            "variables and extensions must be JSON",
                            media,
                        );
                    }
                }
            }
            Err(_) => {
                return request_error(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "malformed query string",
                    media,
                );
            }
        }
    } else {
        let mut res = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "use GET or POST",
            media,
        );
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        return res;
    };

    let (query, variables, operation_name, extensions) = parsed;
    if extensions
        .as_ref()
        .is_some_and(|e| !(e.is_object() || e.is_null()))
    {
        return request_error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "extensions must be an object",
            media,
        );
    }
    let Some(query) = query.filter(|q| !q.trim().is_empty()) else {
        return request_error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "the request has no query",
            media,
        );
    };
    if query.len() > limits.max_document_bytes {
        return request_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "DOCUMENT_TOO_LARGE",
            &format!(
                "the GraphQL document exceeds {} bytes",
                limits.max_document_bytes
            ),
            media,
        );
    }
    let variables = match variables {
        None | Some(serde_json::Value::Null) => async_graphql::Variables::default(),
        Some(v @ serde_json::Value::Object(_)) => async_graphql::Variables::from_json(v),
        Some(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "variables must be an object",
                media,
            );
        }
    };

    let cached = parsed_documents().get(&query);
    let was_cached = cached.is_some();
    let mut request = async_graphql::Request::new(query.clone()).variables(variables);
    if let Some(doc) = cached {
        request.set_parsed_query(doc);
    }
    if let Some(name) = operation_name.clone() {
        request = request.operation_name(name);
    }
    // A document that does not parse or validate: 400 for clients that know
    // application/graphql-response+json, 200 with the errors for legacy ones.
    let document_error = match media {
        MediaType::GraphqlResponseJson => StatusCode::BAD_REQUEST,
        MediaType::Json => StatusCode::OK,
    };
    let is_mutation = match request.parsed_query() {
        Err(e) => {
            return request_error(document_error, "GRAPHQL_PARSE_FAILED", &e.message, media);
        }
        Ok(doc) => {
            if let Some(refusal) = limits.check(doc, operation_name.as_deref()) {
                return request_error(document_error, "GRAPHQL_VALIDATION_FAILED", &refusal, media);
            }
            if !was_cached {
                parsed_documents().put(query, doc.clone());
            }
            operation_is_mutation(doc, operation_name.as_deref())
        }
    };

    if is_mutation && method == Method::GET {
        let mut res = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "mutations are only accepted over POST",
            media,
        );
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return res;
    }

    let mut response = executor
        .execute(request.data(caller).data(super::RequestCache::default()))
        .await;

    // Errors before execution (validation, variable coercion) carry no path
    // and leave no data: the request was not well-formed.
    let request_failed = response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    for e in &mut response.errors {
        let argument = bad_argument(&e.message);
        let ext = e.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            // A wrong argument value is the user's input, whether validation
            // or execution caught it; anything else before execution is a
            // malformed document.
            let code = if argument.is_some() || !request_failed {
                "BAD_USER_INPUT"
            } else {
                "GRAPHQL_VALIDATION_FAILED"
            };
            ext.set("code", code);
            if let Some(field) = argument {
                ext.set("field", field);
            }
        }
    }
    let status = if request_failed && media == MediaType::GraphqlResponseJson {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let extra_headers = std::mem::take(&mut response.http_headers);
    let body = match serde_json::to_vec(&response) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "serialising a GraphQL response");
            return request_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error",
                media,
            );
        }
    };
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.as_str()),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (name, value) in extra_headers.iter() {
        h.append(name.clone(), value.clone());
    }
    res
}

/// The argument path named by async-graphql's "Invalid value for argument" message.
fn bad_argument(message: &str) -> Option<String> {
    let rest = message.strip_prefix("Invalid value for argument \"")?;
    Some(rest.split('"').next()?.to_string())
}

/// Parsed documents by their exact text. Clients send the same few queries
/// over and over (a card view is always the same document), and parsing was
/// the largest single cost of a card view; validation still runs each time.
/// Bounded: full means emptied, so unique documents cannot grow it.
pub struct DocumentCache(
    std::sync::Mutex<
        std::collections::HashMap<String, async_graphql::parser::types::ExecutableDocument>,
    >,
);

const DOCUMENT_CACHE_MAX: usize = 1024;

impl DocumentCache {
    fn get(&self, query: &str) -> Option<async_graphql::parser::types::ExecutableDocument> {
        self.0.locked().get(query).cloned()
    }

    fn put(&self, query: String, doc: async_graphql::parser::types::ExecutableDocument) {
        let mut m = self.0.locked();
        if m.len() >= DOCUMENT_CACHE_MAX {
            m.clear();
        }
        m.insert(query, doc);
    }
}

fn parsed_documents() -> &'static DocumentCache {
    static CACHE: std::sync::LazyLock<DocumentCache> =
        std::sync::LazyLock::new(|| DocumentCache(Default::default()));
    &CACHE
}

fn operation_is_mutation(
    doc: &async_graphql::parser::types::ExecutableDocument,
    operation_name: Option<&str>,
) -> bool {
    match &doc.operations {
        DocumentOperations::Single(op) => op.node.ty != OperationType::Query,
        DocumentOperations::Multiple(ops) => match operation_name {
            Some(name) => ops
                .get(name)
                .is_some_and(|op| op.node.ty != OperationType::Query),
            None => false, // execution reports the missing operation name
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation() {
        use MediaType::*;
        assert_eq!(negotiate(None), Some(Json));
        assert_eq!(negotiate(Some("application/json")), Some(Json));
        assert_eq!(
            negotiate(Some(GRAPHQL_RESPONSE_JSON)),
            Some(GraphqlResponseJson)
        );
        assert_eq!(
            negotiate(Some("application/json, application/graphql-response+json")),
            Some(GraphqlResponseJson)
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Some(Json)
        );
        assert_eq!(negotiate(Some("*/*")), Some(Json));
        assert_eq!(negotiate(Some("application/*")), Some(Json));
        assert_eq!(
            negotiate(Some("application/graphql-response+json, */*;q=0.5")),
            Some(GraphqlResponseJson)
        );
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(negotiate(Some("application/json;q=0")), None);
    }
}
