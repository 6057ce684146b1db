//! Contract checks (feature `contract`, for tests): every recorded [`Exchange`] against
//! the vendored reference documents. This module owns the one checker: the sandbox's own
//! tests (`tests/sandbox_contract.rs`, `tests/contract_selftest.rs`) and the product's
//! end-to-end harness both use it.
//!
//! The two documents in this crate's `tests/fixtures/` (Okta's management API and Apono's public API,
//! both OpenAPI 3.0) are loaded once per test binary, converted to JSON Schema (draft 4,
//! whose boolean `exclusiveMinimum` and `$ref`-ignores-siblings rules are OpenAPI 3.0's),
//! and used to check:
//!
//! - that the route exists in the document of the service that answered;
//! - the request body against the operation's `requestBody` schema, plus strict field
//!   names (no schema upstream sets `additionalProperties: false`, so a misspelled
//!   optional field would otherwise pass);
//! - the response body against the schema of the response the operation documents for
//!   that status (an undocumented 2xx is a violation; an undocumented error status is
//!   accepted, and for Okta its body must still be an Okta `Error`);
//! - the headers every request must carry (user agent, accept, auth scheme,
//!   content type of JSON bodies).
//!
//! [`Contract::check_strict`] also holds 2xx response bodies to declared field names
//! (opt-in: real Okta sends more than it documents; the sandbox should not).
//!
//! Where the documents are wrong or silent, the code works around it, each with a
//! comment: app bodies are checked as `OpenIdConnectApplication`; `discriminator`s on
//! `oneOf` are enforced (Okta's two role schemas otherwise both match every role);
//! `nullable` is converted; optional response fields may be `null` (Okta sends them);
//! `listJwk` may answer any of its three documented shapes; the broken `tokenWindow`
//! pattern is repaired.
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
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use crate::record::{Exchange, Service};
use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde_json::{Map, Value, json};

const OKTA_FILE: &str = "okta-management-2026.06.3-subset.yaml";
const APONO_FILE: &str = "apono-public-api-subset.json";

/// The schema used for app create/replace bodies instead of `Application`: JSON Schema
/// ignores OpenAPI discriminators, so `Application` would accept any `signOnMode`
/// without checking the OIDC-specific settings (reference README, "Known gaps").
const OIDC_APP_SCHEMA: &str = "/components/schemas/OpenIdConnectApplication";
const APPLICATION_SCHEMA: &str = "/components/schemas/Application";
/// The response schema of `GET /api/v1/apps/{appId}/credentials/jwks` (`listJwk`).
const LIST_JWK_SCHEMA: &str = "/paths/~1api~1v1~1apps~1{appId}~1credentials~1jwks/get/responses/200/content/application~1json/schema";
/// The body of every Okta error response.
const OKTA_ERROR_SCHEMA: &str = "/components/schemas/Error";

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Both reference documents, converted and ready to validate against.
pub struct Contract {
    okta: Document,
    apono: Document,
}

impl Contract {
    /// Loads both vendored documents once (cached in a static `OnceLock`), converting
    /// OpenAPI 3.0 to JSON Schema.
    pub fn get() -> &'static Contract {
        static CONTRACT: OnceLock<Contract> = OnceLock::new();
        CONTRACT.get_or_init(|| {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
            let okta_text = read(&dir.join(OKTA_FILE));
            let okta: Value = serde_yaml::from_str(&okta_text)
                .unwrap_or_else(|e| panic!("{OKTA_FILE} is not valid YAML for JSON: {e}"));
            let apono_text = read(&dir.join(APONO_FILE));
            let apono: Value = serde_json::from_str(&apono_text)
                .unwrap_or_else(|e| panic!("{APONO_FILE} is not valid JSON: {e}"));
            Contract {
                okta: Document::new(OKTA_FILE, okta),
                apono: Document::new(APONO_FILE, apono),
            }
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
        check_headers(exchange, &mut problems);
        self.document(exchange.service)
            .check(exchange, &mut problems);
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
        let Some(body) = &exchange.response_body else {
            return problems;
        };
        let Some(op) = doc.find(&exchange.method, &exchange.path) else {
            return problems;
        };
        if let Some(ResponseSchema::Declared(pointer)) = doc.response_schema(op, exchange.status) {
            let mut unknown = Vec::new();
            for (prefix, pointer, value) in doc.targets(&pointer, body) {
                unknown_fields(&doc.root, &[doc.at(&pointer)], value, &prefix, &mut unknown);
            }
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

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
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

fn check_headers(exchange: &Exchange, problems: &mut Vec<String>) {
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
    let scheme = match exchange.service {
        Service::Okta => "SSWS ",
        Service::Apono => "Bearer ",
    };
    match exchange.request_header("authorization") {
        Some(auth) if auth.starts_with(scheme) && !auth[scheme.len()..].trim().is_empty() => {}
        // Never echo the value: it is a credential, even in a sandbox.
        Some(_) => problems.push(format!(
            "request header authorization does not use the \"{}\" scheme",
            scheme.trim_end()
        )),
        None => problems.push("request header authorization is missing".to_owned()),
    }
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
// One OpenAPI document

struct Document {
    name: &'static str,
    /// The whole document, with OpenAPI 3.0 `nullable` converted to JSON Schema.
    root: Value,
    /// `root` for response bodies: optional properties may also be `null` (see
    /// [`allow_null_when_optional`]).
    response_root: Value,
    operations: Vec<Operation>,
    /// Compiled validators, by direction and JSON pointer of the schema.
    validators: Mutex<HashMap<(Direction, String), Arc<Validator>>>,
}

/// Which way a body travelled: requests are held to the letter of the document,
/// responses are allowed Okta's habit of sending `null` for absent optional fields.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Direction {
    Request,
    Response,
}

struct Operation {
    /// Lower-case, as the document spells it.
    method: String,
    template: String,
    segments: Vec<Segment>,
    /// JSON pointer of the operation object in the document.
    pointer: String,
}

enum Segment {
    Literal(String),
    Parameter,
}

enum ResponseSchema {
    /// The operation documents this status and gives a JSON schema at this pointer.
    Declared(String),
    /// The operation documents this status with no JSON body.
    NoBody,
    /// The operation does not document this status.
    Undocumented,
}

impl Document {
    fn new(name: &'static str, mut root: Value) -> Document {
        convert_discriminators(&mut root);
        convert_nullable(&mut root);
        repair_patterns(&mut root);
        let mut response_root = root.clone();
        allow_null_when_optional(&mut response_root);
        let mut operations = Vec::new();
        if let Some(paths) = root.get("paths").and_then(Value::as_object) {
            for (template, item) in paths {
                let Some(item) = item.as_object() else {
                    continue;
                };
                for method in HTTP_METHODS {
                    if item.contains_key(method) {
                        operations.push(Operation {
                            method: method.to_owned(),
                            template: template.clone(),
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
                            pointer: format!("/paths/{}/{method}", escape(template)),
                        });
                    }
                }
            }
        }
        assert!(!operations.is_empty(), "{name} declares no operations");
        Document {
            name,
            root,
            response_root,
            operations,
            validators: Mutex::new(HashMap::new()),
        }
    }

    fn at(&self, pointer: &str) -> &Value {
        self.root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{}: nothing at {pointer}", self.name))
    }

    /// The operation for this method and concrete path. When several templates match,
    /// the one with literal segments earliest wins (`/api/v1/api-tokens/current` over
    /// `/api/v1/api-tokens/{apiTokenId}`).
    fn find(&self, method: &str, path: &str) -> Option<&Operation> {
        let method = method.to_ascii_lowercase();
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

    /// Follows `$ref` on a non-schema object (request body, response), returning the
    /// pointer of the object it designates.
    fn deref_pointer(&self, mut pointer: String) -> String {
        for _ in 0..16 {
            match self.at(&pointer).get("$ref").and_then(Value::as_str) {
                Some(target) => pointer = local_ref(self.name, target).to_owned(),
                None => return pointer,
            }
        }
        panic!("{}: $ref chain too long at {pointer}", self.name)
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
        let operation = self.at(&op.pointer);
        let request_body = operation
            .get("requestBody")
            .map(|_| self.deref_pointer(format!("{}/requestBody", op.pointer)));
        let Some(body_pointer) = request_body else {
            if exchange.request_body.is_some() {
                problems.push(format!(
                    "request has a JSON body but {} {} takes none",
                    op.method.to_ascii_uppercase(),
                    op.template
                ));
            }
            return;
        };
        let declared = self.at(&body_pointer);
        let required = declared.get("required").and_then(Value::as_bool) == Some(true);
        let Some(body) = &exchange.request_body else {
            if required {
                problems.push("required request body is missing (or is not JSON)".to_owned());
            }
            return;
        };
        let schema_pointer = if self.name == OKTA_FILE
            && ((op.method == "post" && op.template == "/api/v1/apps")
                || (op.method == "put" && op.template == "/api/v1/apps/{appId}"))
        {
            OIDC_APP_SCHEMA.to_owned()
        } else {
            let pointer = format!("{body_pointer}/content/application~1json/schema");
            if self.root.pointer(&pointer).is_none() {
                problems.push(
                    "request has a JSON body but the operation declares no application/json body"
                        .to_owned(),
                );
                return;
            }
            pointer
        };
        for p in self.validate_at(Direction::Request, "", &schema_pointer, body) {
            problems.push(format!("request body {p}"));
        }
        let mut unknown = Vec::new();
        unknown_fields(
            &self.root,
            &[self.at(&schema_pointer)],
            body,
            "",
            &mut unknown,
        );
        for u in unknown {
            problems.push(format!("request body {u}"));
        }
    }

    fn response_schema(&self, op: &Operation, status: u16) -> Option<ResponseSchema> {
        let responses = self.at(&op.pointer).get("responses")?.as_object()?;
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        let key = responses
            .keys()
            .find(|k| **k == exact)
            .or_else(|| responses.keys().find(|k| k.eq_ignore_ascii_case(&range)))
            .or_else(|| responses.keys().find(|k| *k == "default"));
        let Some(key) = key else {
            return Some(ResponseSchema::Undocumented);
        };
        let response = self.deref_pointer(format!("{}/responses/{}", op.pointer, escape(key)));
        let schema = format!("{response}/content/application~1json/schema");
        Some(if self.root.pointer(&schema).is_some() {
            ResponseSchema::Declared(schema)
        } else {
            ResponseSchema::NoBody
        })
    }

    fn check_response(&self, op: &Operation, exchange: &Exchange, problems: &mut Vec<String>) {
        let success = (200..300).contains(&exchange.status);
        let schema = self
            .response_schema(op, exchange.status)
            .unwrap_or(ResponseSchema::Undocumented);
        let schema_pointer = match schema {
            ResponseSchema::Declared(pointer) => pointer,
            // A documented status without a JSON body: Okta answers some of them with
            // `{}` (app lifecycle), so a body is not a violation.
            ResponseSchema::NoBody => return,
            ResponseSchema::Undocumented if success => {
                problems.push(format!(
                    "status {} is not documented for {} {}",
                    exchange.status,
                    op.method.to_ascii_uppercase(),
                    op.template
                ));
                return;
            }
            // Error statuses are not all listed (Okta's 401 and 429 are missing from some
            // operations): accept them, but an Okta error body must still be an `Error`.
            ResponseSchema::Undocumented if self.name == OKTA_FILE => OKTA_ERROR_SCHEMA.to_owned(),
            ResponseSchema::Undocumented => return,
        };
        if let Some(body) = &exchange.response_body {
            for (prefix, pointer, value) in self.targets(&schema_pointer, body) {
                for p in self.validate_at(Direction::Response, &prefix, &pointer, value) {
                    problems.push(format!("response body {p}"));
                }
            }
        } else if success {
            problems.push(format!(
                "response has no JSON body but the document declares one ({schema_pointer})"
            ));
        }
    }

    /// What to validate a response body against: `(instance pointer prefix, schema
    /// pointer, value)`. Okta documents app responses as `Application`, whose
    /// discriminator JSON Schema ignores; an app whose `signOnMode` is `OPENID_CONNECT`
    /// is validated against `OpenIdConnectApplication` instead (also in lists), so its
    /// `credentials` and `settings` are checked too.
    fn targets<'v>(&self, pointer: &str, body: &'v Value) -> Vec<(String, String, &'v Value)> {
        let app_ref = json!({"$ref": format!("#{APPLICATION_SCHEMA}")});
        let for_app = |value: &Value| {
            if value.get("signOnMode").and_then(Value::as_str) == Some("OPENID_CONNECT") {
                OIDC_APP_SCHEMA.to_owned()
            } else {
                APPLICATION_SCHEMA.to_owned()
            }
        };
        if self.name == OKTA_FILE && pointer == LIST_JWK_SCHEMA {
            // Reference README: `listJwk` is documented as a bare array (the schema), as
            // `{"keys": [...]}` (what Okta's SDKs read) and as `{"jwks": {"keys": [...]}}`
            // (the example). Accept all three; the keys are checked either way.
            if let Some(keys) = body.get("keys") {
                return vec![("/keys".to_owned(), pointer.to_owned(), keys)];
            }
            if let Some(keys) = body.pointer("/jwks/keys") {
                return vec![("/jwks/keys".to_owned(), pointer.to_owned(), keys)];
            }
        }
        if self.name == OKTA_FILE {
            let schema = self.at(pointer);
            if *schema == app_ref {
                return vec![(String::new(), for_app(body), body)];
            }
            if schema.get("type").and_then(Value::as_str) == Some("array")
                && schema.get("items") == Some(&app_ref)
                && let Some(elements) = body.as_array()
            {
                return elements
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (format!("/{i}"), for_app(e), e))
                    .collect();
            }
        }
        vec![(String::new(), pointer.to_owned(), body)]
    }

    /// Validation errors of `instance` (found at `prefix` in the body) against the schema
    /// at `pointer`, each with the JSON pointer of the offending value.
    fn validate_at(
        &self,
        direction: Direction,
        prefix: &str,
        pointer: &str,
        instance: &Value,
    ) -> Vec<String> {
        let validator = self.validator(direction, pointer);
        validator
            .iter_errors(instance)
            .flat_map(|error| reasons(prefix, &error))
            .collect()
    }

    fn validator(&self, direction: Direction, pointer: &str) -> Arc<Validator> {
        let key = (direction, pointer.to_owned());
        let mut cache = self
            .validators
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(v) = cache.get(&key) {
            return Arc::clone(v);
        }
        let root = match direction {
            Direction::Request => &self.root,
            Direction::Response => &self.response_root,
        };
        // The schema is compiled with the document's components beside it, so its
        // `#/components/...` references resolve. Draft 4: OpenAPI 3.0's dialect is
        // draft-4-like (boolean exclusiveMinimum, `$ref` siblings ignored). Formats are
        // annotations only: Okta uses non-standard ones (`int32`, `password`).
        let target = root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{}: nothing at {pointer}", self.name));
        let schema = json!({
            "$ref": "#/x-contract-target",
            "x-contract-target": target.clone(),
            "components": root.get("components").cloned().unwrap_or(Value::Null),
        });
        let validator = jsonschema::draft4::options()
            .should_validate_formats(false)
            .build(&schema)
            .unwrap_or_else(|e| {
                panic!("{}: cannot compile the schema at {pointer}: {e}", self.name)
            });
        let validator = Arc::new(validator);
        cache.insert(key, Arc::clone(&validator));
        validator
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
// OpenAPI 3.0 -> JSON Schema

/// Makes `oneOf`/`anyOf` + `discriminator` mean what OpenAPI says: each member applies
/// only when the discriminator property holds one of the values mapped to it. JSON
/// Schema ignores `discriminator`, and Okta's role schemas (`StandardRole`,
/// `CustomRole`) both accept every role type, so without this every real role response
/// is "valid under more than one of the schemas listed in the 'oneOf' keyword". Each
/// `$ref` member `M` becomes `{"allOf": [M, {"properties": {P: {"enum": [values]}},
/// "required": [P]}]}`; values are the mapping keys naming `M`, else `M`'s schema name
/// (the OpenAPI default). A discriminator on a plain schema (`Application`'s, an
/// inheritance hierarchy) is left alone: see [`OIDC_APP_SCHEMA`].
fn convert_discriminators(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(convert_discriminators),
        Value::Object(map) => {
            map.values_mut().for_each(convert_discriminators);
            let Some(discriminator) = map.get("discriminator").and_then(Value::as_object) else {
                return;
            };
            let Some(property) = discriminator.get("propertyName").and_then(Value::as_str) else {
                return;
            };
            let property = property.to_owned();
            let mapping: Vec<(String, String)> = discriminator
                .get("mapping")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), schema_name(v.as_str()?).to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            for keyword in ["oneOf", "anyOf"] {
                let Some(Value::Array(members)) = map.get_mut(keyword) else {
                    continue;
                };
                for member in members.iter_mut() {
                    let Some(target) = member.get("$ref").and_then(Value::as_str) else {
                        continue;
                    };
                    let name = schema_name(target).to_owned();
                    let mut values: Vec<String> = mapping
                        .iter()
                        .filter(|(_, schema)| *schema == name)
                        .map(|(value, _)| value.clone())
                        .collect();
                    if values.is_empty() {
                        values.push(name);
                    }
                    let original = member.take();
                    *member = json!({
                        "allOf": [
                            original,
                            {"properties": {property.as_str(): {"enum": values}}, "required": [property.as_str()]}
                        ]
                    });
                }
            }
        }
        _ => {}
    }
}

/// `X` from `#/components/schemas/X` (or from a bare `X`, as mappings may say).
fn schema_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// Rewrites every `nullable: true` schema so JSON Schema accepts `null` there too
/// (reference README, "Known gaps"). A plain typed schema gets `"null"` added to its
/// `type` (and `enum`); a schema built from `$ref`/`allOf`/`anyOf`/`oneOf` is wrapped in
/// `anyOf: [{"type": "null"}, <schema>]`, since adding `"null"` to its own `type` would
/// still fail in the composed members. `nullable: false` is dropped.
fn convert_nullable(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(convert_nullable),
        Value::Object(map) => {
            map.values_mut().for_each(convert_nullable);
            match map.get("nullable") {
                Some(Value::Bool(true)) => {
                    map.remove("nullable");
                    make_nullable(map);
                }
                Some(Value::Bool(false)) => {
                    map.remove("nullable");
                }
                _ => {}
            }
        }
        _ => {}
    }
}

fn make_nullable(map: &mut Map<String, Value>) {
    let composed = ["$ref", "allOf", "anyOf", "oneOf"]
        .iter()
        .any(|k| map.contains_key(*k));
    if composed {
        let inner = Value::Object(std::mem::take(map));
        map.insert("anyOf".to_owned(), json!([{ "type": "null" }, inner]));
        return;
    }
    match map.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            map.insert("type".to_owned(), json!([t, "null"]));
        }
        Some(Value::Array(types)) if !types.contains(&json!("null")) => types.push(json!("null")),
        _ => {}
    }
    if let Some(Value::Array(values)) = map.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
}

/// Okta's `ApiToken.tokenWindow` pattern, `^P(?:$)(\d+Y)?...(T(?:\d)...)?$`, matches only
/// the string "P": `(?:$)` and `(?:\d)` are broken lookaheads. It rejects every real
/// duration ("P30D", "PT5M", Okta's own examples). Repaired as the lookaheads it means.
fn repair_patterns(value: &mut Value) {
    const BROKEN: &str = r"^P(?:$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?:\d)(\d+H)?(\d+M)?(\d+S)?)?$";
    const REPAIRED: &str = r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$";
    match value {
        Value::Array(items) => items.iter_mut().for_each(repair_patterns),
        Value::Object(map) => {
            if map.get("pattern").and_then(Value::as_str) == Some(BROKEN) {
                map.insert("pattern".to_owned(), json!(REPAIRED));
            }
            map.values_mut().for_each(repair_patterns);
        }
        _ => {}
    }
}

/// For response bodies: a property that is not `required` may also be `null`. Okta
/// answers with `null` for optional fields it has no value for (its own examples carry
/// `"errorRedirectUrl": null`, `"notes": {"admin": null}`) while the document does not
/// mark them `nullable`; a faithful sandbox does the same, and clients must cope.
/// Requests stay strict.
fn allow_null_when_optional(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(allow_null_when_optional),
        Value::Object(map) => {
            map.values_mut().for_each(allow_null_when_optional);
            let required: HashSet<String> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                for (name, schema) in properties.iter_mut() {
                    if required.contains(name) {
                        continue;
                    }
                    if let Value::Object(schema) = schema {
                        make_nullable(schema);
                    }
                }
            }
        }
        _ => {}
    }
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
        // Draft 4 / OpenAPI 3.0: siblings of `$ref` are ignored.
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
