//! Contract checks (feature `contract`, for tests): every recorded [`Exchange`] against
//! the vendored reference documents. This module owns the one checker: the sandbox's own
//! tests (`tests/sandbox_contract.rs`, `tests/contract_selftest.rs`) and the product's
//! end-to-end harness both use it.
//!
//! The two documents in this crate's `tests/fixtures/` (Okta's management API and Apono's
//! public API, both OpenAPI 3.0) are turned once, by `scripts/generate_schemas.py`, into
//! one JSON Schema (draft 7) per operation and direction, checked in as `schemas/okta.json`
//! and `schemas/apono.json`. That script converts `nullable`, enforces `discriminator`s on
//! `oneOf` (Okta's two role schemas otherwise both match every role), lets optional
//! response fields be `null` (Okta sends them), checks app bodies as
//! `OpenIdConnectApplication`, accepts `listJwk`'s three documented shapes and repairs
//! the broken `tokenWindow` pattern, each with a comment. This module is the lookup:
//!
//! - that the route exists in the document of the service that answered;
//! - the request body against the operation's request schema, plus strict field names
//!   (no schema upstream sets `additionalProperties: false`, so a misspelled optional
//!   field would otherwise pass);
//! - the response body against the schema of the response the operation documents for
//!   that status (an undocumented 2xx is a violation; an undocumented error status is
//!   accepted, and for Okta its body must still be an Okta `Error`);
//! - the headers every request must carry (user agent, accept, auth scheme,
//!   content type of JSON bodies), and no `Authorization` at all on an operation that
//!   declares `security: []` (Okta's org metadata, read before the token may be sent).
//!
//! [`Contract::check_strict`] also holds 2xx response bodies to declared field names
//! (opt-in: real Okta sends more than it documents; the sandbox should not).
//!
//! Usage:
//!
//! ```text
//! use apono_okta_sandbox::contract::Contract;
//! let contract = Contract::get();
//! contract.assert_all(&sandbox.exchanges());       // panics listing every violation
//! assert!(contract.check(&one_exchange).is_empty());
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use crate::record::{Exchange, Service};
use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde_json::{Value, json};

/// Both reference documents, as generated schemas ready to validate against.
pub struct Contract {
    okta: Document,
    apono: Document,
}

impl Contract {
    /// Loads both generated schema files once (cached in a static `OnceLock`).
    pub fn get() -> &'static Contract {
        static CONTRACT: OnceLock<Contract> = OnceLock::new();
        CONTRACT.get_or_init(|| Contract {
            okta: Document::new(
                "okta-management-2026.06.3-subset.yaml",
                "okta.json",
                include_str!("../schemas/okta.json"),
            ),
            apono: Document::new(
                "apono-public-api-subset.json",
                "apono.json",
                include_str!("../schemas/apono.json"),
            ),
        })
    }

    /// Violations of one exchange (empty = fine). Each names the method, path, status
    /// and, for body problems, the JSON pointer of the offending value.
    pub fn check(&self, exchange: &Exchange) -> Vec<String> {
        // Status 0: the sandbox dropped the connection (fault injection); nothing was
        // answered, and the request may not even have been read in full.
        if exchange.status == 0 {
            return Vec::new();
        }
        let mut problems = Vec::new();
        let document = self.document(exchange.service);
        let takes_credentials = document
            .find(&exchange.method, &exchange.path)
            .is_none_or(|op| op.takes_credentials);
        check_headers(exchange, takes_credentials, &mut problems);
        document.check(exchange, &mut problems);
        let head = describe(exchange);
        problems
            .into_iter()
            .map(|p| format!("{head}: {p}"))
            .collect()
    }

    /// Like [`Contract::check`], and also reports fields of 2xx response bodies that
    /// the response schema does not declare. Real Okta answers with more fields than its
    /// document lists, so this is opt-in: use it on the sandbox, which should not invent
    /// field names a client could come to depend on.
    pub fn check_strict(&self, exchange: &Exchange) -> Vec<String> {
        let mut problems = self.check(exchange);
        if exchange.status == 0 || !(200..300).contains(&exchange.status) {
            return problems;
        }
        let doc = self.document(exchange.service);
        let (Some(body), Some(op)) = (
            &exchange.response_body,
            doc.find(&exchange.method, &exchange.path),
        ) else {
            return problems;
        };
        if let Response::Declared(_, schema) = op.response(exchange.status) {
            let mut unknown = Vec::new();
            unknown_fields(&doc.responses, &[schema], body, "", &mut unknown);
            let head = describe(exchange);
            problems.extend(
                unknown
                    .into_iter()
                    .map(|u| format!("{head}: response body {u}")),
            );
        }
        problems
    }

    /// Panics with every violation of every exchange, each naming method, path, status
    /// and the JSON pointer of the problem.
    pub fn assert_all(&self, exchanges: &[Exchange]) {
        report(exchanges, |e| self.check(e));
    }

    /// [`Contract::assert_all`] with [`Contract::check_strict`].
    pub fn assert_all_strict(&self, exchanges: &[Exchange]) {
        report(exchanges, |e| self.check_strict(e));
    }

    fn document(&self, service: Service) -> &Document {
        match service {
            Service::Okta => &self.okta,
            Service::Apono => &self.apono,
        }
    }
}

fn report(exchanges: &[Exchange], check: impl Fn(&Exchange) -> Vec<String>) {
    let problems: Vec<String> = exchanges.iter().flat_map(check).collect();
    if !problems.is_empty() {
        let mut message = format!(
            "{} contract violation(s) in {} exchange(s):\n",
            problems.len(),
            exchanges.len()
        );
        for p in &problems {
            let _ = writeln!(message, "  - {p}");
        }
        panic!("{message}");
    }
}

fn describe(exchange: &Exchange) -> String {
    let service = match exchange.service {
        Service::Okta => "okta",
        Service::Apono => "apono",
    };
    let query = if exchange.query.is_empty() {
        String::new()
    } else {
        format!("?{}", exchange.query)
    };
    format!(
        "[{service}] {} {}{query} -> {}",
        exchange.method, exchange.path, exchange.status
    )
}

// ---------------------------------------------------------------------------------------
// Headers

/// `takes_credentials`: false for an operation declaring `security: []`, whose request
/// must carry no `Authorization` header at all.
fn check_headers(exchange: &Exchange, takes_credentials: bool, problems: &mut Vec<String>) {
    match exchange.request_header("user-agent") {
        Some(ua) if ua.starts_with("apono-okta/") && ua.len() > "apono-okta/".len() => {}
        Some(ua) => problems.push(format!(
            "request header user-agent is {ua:?}, expected \"apono-okta/<version>\""
        )),
        None => problems.push("request header user-agent is missing".to_owned()),
    }
    match exchange.request_header("accept") {
        Some(accept) if media_types(accept).any(|m| m == "application/json") => {}
        Some(accept) => problems.push(format!(
            "request header accept is {accept:?}, expected \"application/json\""
        )),
        None => problems.push("request header accept is missing".to_owned()),
    }
    check_authorization(exchange, takes_credentials, problems);
    if exchange.request_body.is_some() {
        match exchange.request_header("content-type") {
            Some(ct) if media_types(ct).any(|m| m == "application/json") => {}
            Some(ct) => problems.push(format!(
                "request has a JSON body but content-type is {ct:?}, expected \"application/json\""
            )),
            None => problems.push(
                "request has a JSON body but no content-type header (expected \"application/json\")"
                    .to_owned(),
            ),
        }
    }
}

/// The `Authorization` header: the service's scheme with a credential, or none at all
/// where the operation takes no credentials. The value is never echoed: it is a
/// credential, even in a sandbox.
fn check_authorization(exchange: &Exchange, takes_credentials: bool, problems: &mut Vec<String>) {
    let scheme = match exchange.service {
        Service::Okta => "SSWS ",
        Service::Apono => "Bearer ",
    };
    match exchange.request_header("authorization") {
        Some(_) if !takes_credentials => problems.push(
            "request carries an authorization header, but the operation takes no credentials (security: [])"
                .to_owned(),
        ),
        None if !takes_credentials => {}
        Some(auth) if auth.starts_with(scheme) && !auth[scheme.len()..].trim().is_empty() => {}
        Some(_) => problems.push(format!(
            "request header authorization does not use the \"{}\" scheme",
            scheme.trim_end()
        )),
        None => problems.push("request header authorization is missing".to_owned()),
    }
}

/// The media types of an `Accept` or `Content-Type` value, without parameters, lower-cased.
fn media_types(value: &str) -> impl Iterator<Item = String> + '_ {
    value.split(',').map(|part| {
        part.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}

// ---------------------------------------------------------------------------------------
// One generated schema file

struct Document {
    /// The reference document the schemas were generated from, for messages.
    name: &'static str,
    operations: Vec<Operation>,
    /// What an undocumented error status must answer (Okta: its `Error`).
    undocumented_error: Option<Value>,
    /// `{"definitions": ...}` that request schemas' `$ref`s resolve against.
    requests: Value,
    /// The same for response bodies, where optional properties may also be `null`.
    responses: Value,
    /// Compiled validators, by direction and operation (see [`Document::validate`]).
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

struct Operation {
    /// Upper-case.
    method: String,
    template: String,
    segments: Vec<Segment>,
    /// `None`: the operation takes no body.
    request: Option<Request>,
    /// By status, status range (`4XX`) or `default`; `null`: no JSON body.
    responses: BTreeMap<String, Value>,
    /// False when the operation declares `security: []` (generated as `"auth": false`):
    /// its request must carry no credentials.
    takes_credentials: bool,
}

struct Request {
    required: bool,
    /// `None`: the operation declares no `application/json` body.
    schema: Option<Value>,
}

enum Segment {
    Literal(String),
    Parameter,
}

enum Response<'a> {
    /// The operation documents this status (under this key) with this JSON schema.
    Declared(&'a str, &'a Value),
    /// The operation documents this status with no JSON body.
    NoBody,
    /// The operation does not document this status.
    Undocumented,
}

impl Operation {
    fn response(&self, status: u16) -> Response<'_> {
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        let found = self
            .responses
            .iter()
            .find(|(k, _)| **k == exact)
            .or_else(|| {
                self.responses
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&range))
            })
            .or_else(|| self.responses.iter().find(|(k, _)| *k == "default"));
        match found {
            None => Response::Undocumented,
            Some((_, Value::Null)) => Response::NoBody,
            Some((key, schema)) => Response::Declared(key, schema),
        }
    }
}

impl Document {
    /// `name`: the reference document `file` was generated from, for messages.
    fn new(name: &'static str, file: &str, text: &str) -> Document {
        let mut generated: Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("schemas/{file} is not valid JSON: {e}"));
        let operations: Vec<Operation> = generated["operations"]
            .as_object_mut()
            .unwrap_or_else(|| panic!("schemas/{file} has no operations"))
            .iter_mut()
            .map(|(key, op)| {
                let (method, template) = key
                    .split_once(' ')
                    .unwrap_or_else(|| panic!("schemas/{file}: bad operation key {key:?}"));
                let request = match op["request"].take() {
                    Value::Null => None,
                    mut r => Some(Request {
                        required: r["required"] == json!(true),
                        schema: Some(r["schema"].take()).filter(|s| !s.is_null()),
                    }),
                };
                Operation {
                    method: method.to_owned(),
                    template: template.to_owned(),
                    segments: template
                        .split('/')
                        .map(|s| {
                            if s.starts_with('{') && s.ends_with('}') {
                                Segment::Parameter
                            } else {
                                Segment::Literal(s.to_owned())
                            }
                        })
                        .collect(),
                    request,
                    responses: serde_json::from_value(op["responses"].take())
                        .unwrap_or_else(|e| panic!("schemas/{file}: {key}: {e}")),
                    takes_credentials: op["auth"] != json!(false),
                }
            })
            .collect();
        assert!(
            !operations.is_empty(),
            "schemas/{file} declares no operations"
        );
        Document {
            name,
            operations,
            undocumented_error: Some(generated["undocumented_error"].take())
                .filter(|s| !s.is_null()),
            requests: json!({"definitions": generated["definitions"]["request"].take()}),
            responses: json!({"definitions": generated["definitions"]["response"].take()}),
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// The operation for this method and concrete path. When several templates match,
    /// the one with literal segments earliest wins (`/api/v1/api-tokens/current` over
    /// `/api/v1/api-tokens/{apiTokenId}`).
    fn find(&self, method: &str, path: &str) -> Option<&Operation> {
        let method = method.to_ascii_uppercase();
        let parts: Vec<&str> = path.split('/').collect();
        self.operations
            .iter()
            .filter(|op| op.method == method && op.segments.len() == parts.len())
            .filter(|op| {
                op.segments.iter().zip(&parts).all(|(seg, part)| match seg {
                    Segment::Literal(lit) => lit == part,
                    Segment::Parameter => !part.is_empty(),
                })
            })
            .max_by_key(|op| {
                op.segments
                    .iter()
                    .map(|s| matches!(s, Segment::Literal(_)))
                    .collect::<Vec<bool>>()
            })
    }

    fn check(&self, exchange: &Exchange, problems: &mut Vec<String>) {
        let Some(op) = self.find(&exchange.method, &exchange.path) else {
            problems.push(format!(
                "operation not in the reference document ({})",
                self.name
            ));
            return;
        };
        self.check_request(op, exchange, problems);
        self.check_response(op, exchange, problems);
    }

    fn check_request(&self, op: &Operation, exchange: &Exchange, problems: &mut Vec<String>) {
        let Some(request) = &op.request else {
            if exchange.request_body.is_some() {
                problems.push(format!(
                    "request has a JSON body but {} {} takes none",
                    op.method, op.template
                ));
            }
            return;
        };
        let Some(body) = &exchange.request_body else {
            if request.required {
                problems.push("required request body is missing (or is not JSON)".to_owned());
            }
            return;
        };
        let Some(schema) = &request.schema else {
            problems.push(
                "request has a JSON body but the operation declares no application/json body"
                    .to_owned(),
            );
            return;
        };
        let key = format!("request {} {}", op.method, op.template);
        for p in self.validate(&key, &self.requests, schema, body) {
            problems.push(format!("request body {p}"));
        }
        let mut unknown = Vec::new();
        unknown_fields(&self.requests, &[schema], body, "", &mut unknown);
        for u in unknown {
            problems.push(format!("request body {u}"));
        }
    }

    fn check_response(&self, op: &Operation, exchange: &Exchange, problems: &mut Vec<String>) {
        let success = (200..300).contains(&exchange.status);
        let (key, schema) = match op.response(exchange.status) {
            Response::Declared(status, schema) => (
                format!("response {} {} {status}", op.method, op.template),
                schema,
            ),
            // A documented status without a JSON body: Okta answers some of them with
            // `{}` (app lifecycle), so a body is not a violation.
            Response::NoBody => return,
            Response::Undocumented if success => {
                problems.push(format!(
                    "status {} is not documented for {} {}",
                    exchange.status, op.method, op.template
                ));
                return;
            }
            // Error statuses are not all listed (Okta's 401 and 429 are missing from some
            // operations): accept them, but an Okta error body must still be an `Error`.
            Response::Undocumented => match &self.undocumented_error {
                Some(schema) => ("undocumented error".to_owned(), schema),
                None => return,
            },
        };
        if let Some(body) = &exchange.response_body {
            for p in self.validate(&key, &self.responses, schema, body) {
                problems.push(format!("response body {p}"));
            }
        } else if success {
            problems.push(format!(
                "response has no JSON body but the document declares one ({key})"
            ));
        }
    }

    /// Validation errors of `instance` against `schema` (whose `$ref`s resolve in
    /// `definitions`), each with the JSON pointer of the offending value. The validator
    /// is compiled once per `key`.
    fn validate(
        &self,
        key: &str,
        definitions: &Value,
        schema: &Value,
        instance: &Value,
    ) -> Vec<String> {
        let validator = {
            let mut cache = self
                .validators
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let validator = cache.entry(key.to_owned()).or_insert_with(|| {
                // Formats are annotations only: Okta uses non-standard ones (`int32`,
                // `password`).
                let wrapped = json!({
                    "$ref": "#/x-contract-target",
                    "x-contract-target": schema,
                    "definitions": definitions["definitions"],
                });
                let validator = jsonschema::draft7::options()
                    .should_validate_formats(false)
                    .build(&wrapped)
                    .unwrap_or_else(|e| panic!("{}: cannot compile {key}: {e}", self.name));
                Arc::new(validator)
            });
            Arc::clone(validator)
        };
        validator
            .iter_errors(instance)
            .flat_map(|error| reasons("", &error))
            .collect()
    }
}

/// The messages for one validation error. For a failed `oneOf`/`anyOf`, says why each
/// branch failed (recursively): the bare "is not valid under any of the schemas" hides
/// the useful part, e.g. which enum was expected. A branch that only says the value is
/// not `null` is the `nullable` wrapper's, and is left out; when a single branch
/// remains, its messages stand alone.
fn reasons(prefix: &str, error: &jsonschema::ValidationError<'_>) -> Vec<String> {
    let context = match error.kind() {
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            context
        }
        _ => return vec![render(prefix, error)],
    };
    let branches: Vec<Vec<String>> = context
        .iter()
        .map(|branch| {
            let mut messages: Vec<String> = Vec::new();
            for message in branch.iter().flat_map(|e| reasons(prefix, e)) {
                // Discriminator constraints repeat the member's own enum: say it once.
                if !messages.contains(&message) {
                    messages.push(message);
                }
            }
            messages
        })
        .filter(|messages| {
            !(messages.len() == 1 && messages[0].ends_with("is not of type \"null\""))
        })
        .collect();
    if branches.len() == 1 {
        return branches.into_iter().next().unwrap_or_default();
    }
    let mut text = render(prefix, error);
    for (i, branch) in branches.iter().enumerate() {
        let _ = write!(text, "; branch {}: {}", i + 1, branch.join(", "));
    }
    vec![text]
}

/// One validation error as `at "<pointer>": <message>`. Objects and arrays are not
/// repeated in the message (the pointer says which one; a whole app body is long).
fn render(prefix: &str, error: &jsonschema::ValidationError<'_>) -> String {
    let at = format!("{prefix}{}", error.instance_path());
    if error.instance().is_object() || error.instance().is_array() {
        format!("at {at:?}: {}", error.masked_with("the value"))
    } else {
        format!("at {at:?}: {error}")
    }
}

fn local_ref<'a>(document: &str, target: &'a str) -> &'a str {
    target
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("{document}: non-local $ref {target:?} is not supported"))
}

/// Escapes one JSON pointer reference token (RFC 6901).
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

// ---------------------------------------------------------------------------------------
// Strict field names

/// What a set of schemas declares for one JSON value.
#[derive(Default)]
struct Declared<'a> {
    /// Declared property names and every schema that applies to each.
    properties: BTreeMap<&'a str, Vec<&'a Value>>,
    /// `additionalProperties` as a schema (or `true`): any name goes, values follow these.
    additional: Vec<&'a Value>,
    open: bool,
    items: Vec<&'a Value>,
}

/// Reports every object key in `instance` that the schemas do not declare at that point.
/// Follows `$ref`, `allOf` and every `oneOf`/`anyOf` member (a key declared by any member
/// is accepted), and `additionalProperties` when it is a schema or `true` (then any key
/// goes). An object schema that declares no properties at all is free-form.
fn unknown_fields(
    root: &Value,
    schemas: &[&Value],
    instance: &Value,
    at: &str,
    out: &mut Vec<String>,
) {
    let mut declared = Declared::default();
    let mut seen = HashSet::new();
    for schema in schemas {
        collect(root, schema, &mut declared, &mut seen, 0);
    }
    match instance {
        Value::Object(fields) => {
            let free_form = declared.open || declared.properties.is_empty();
            for (key, value) in fields {
                let path = format!("{at}/{}", escape(key));
                if let Some(sub) = declared.properties.get(key.as_str()) {
                    let sub = sub.clone();
                    unknown_fields(root, &sub, value, &path, out);
                } else if !declared.additional.is_empty() {
                    let sub = declared.additional.clone();
                    unknown_fields(root, &sub, value, &path, out);
                } else if !free_form {
                    out.push(format!(
                        "at {path:?}: unknown field {key:?}, not declared by the schema{}",
                        suggestion(key, declared.properties.keys().copied())
                    ));
                }
            }
        }
        Value::Array(elements) if !declared.items.is_empty() => {
            let items = declared.items.clone();
            for (i, element) in elements.iter().enumerate() {
                unknown_fields(root, &items, element, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn collect<'a>(
    root: &'a Value,
    schema: &'a Value,
    declared: &mut Declared<'a>,
    seen: &mut HashSet<*const Value>,
    depth: usize,
) {
    let Some(map) = schema.as_object() else {
        // `true`/`false` schemas do not occur in OpenAPI 3.0.
        return;
    };
    if depth > 64 || !seen.insert(std::ptr::from_ref(schema)) {
        return;
    }
    if let Some(target) = map.get("$ref").and_then(Value::as_str) {
        // OpenAPI 3.0: siblings of `$ref` are ignored (the generator drops them).
        let pointer = local_ref("reference document", target);
        let resolved = root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("unresolvable $ref {target:?}"));
        collect(root, resolved, declared, seen, depth + 1);
        return;
    }
    if let Some(props) = map.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            declared
                .properties
                .entry(name.as_str())
                .or_default()
                .push(sub);
        }
    }
    match map.get("additionalProperties") {
        Some(Value::Bool(true)) => declared.open = true,
        Some(sub @ Value::Object(_)) => {
            declared.open = true;
            declared.additional.push(sub);
        }
        _ => {}
    }
    if let Some(items) = map.get("items") {
        declared.items.push(items);
    }
    for keyword in ["allOf", "oneOf", "anyOf"] {
        if let Some(members) = map.get(keyword).and_then(Value::as_array) {
            for member in members {
                collect(root, member, declared, seen, depth + 1);
            }
        }
    }
    // The generated `if`/`then`/`else` (app by `signOnMode`, `listJwk`'s shapes): a key
    // either branch declares is accepted.
    for keyword in ["then", "else"] {
        if let Some(branch) = map.get(keyword) {
            collect(root, branch, declared, seen, depth + 1);
        }
    }
}

/// `" (did you mean \"x\"?)"` for the declared names closest to a misspelled one, else
/// the declared names when there are few, else nothing.
fn suggestion<'a>(key: &str, known: impl Iterator<Item = &'a str>) -> String {
    let known: Vec<&str> = known.collect();
    let folded = key.to_ascii_lowercase().replace(['_', '-'], "");
    let mut close: Vec<(usize, &str)> = known
        .iter()
        .map(|k| {
            let other = k.to_ascii_lowercase().replace(['_', '-'], "");
            (strsim::levenshtein(&folded, &other), *k)
        })
        .filter(|(d, _)| *d <= 2.max(key.len() / 4))
        .collect();
    close.sort_unstable();
    if let Some((best, _)) = close.first() {
        let best = *best;
        let names: Vec<String> = close
            .iter()
            .filter(|(d, _)| *d == best)
            .map(|(_, k)| format!("{k:?}"))
            .collect();
        format!(" (did you mean {}?)", names.join(" or "))
    } else if known.len() <= 12 {
        format!(" (declared: {})", known.join(", "))
    } else {
        String::new()
    }
}
