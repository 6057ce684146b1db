//! `apono-okta-sandbox`: a faithful, stateful imitation of the slice of Okta and Apono that
//! `apono-okta` uses, served on `127.0.0.1` (random ports) by the project itself.
//!
//! ```no_run
//! use apono_okta_sandbox::{Sandbox, SandboxOptions};
//! let sandbox = Sandbox::start(SandboxOptions::default()).unwrap();
//! println!("Okta at {} with token {}", sandbox.okta_url(), sandbox.super_admin_token());
//! println!("Apono at {} with token {}", sandbox.apono_url(), sandbox.apono_token());
//! ```
//!
//! This crate is a member of the `apono-okta` workspace; the product reaches it only
//! through its default-on `sandbox` feature (the `demo` and `sandbox` commands) and its
//! tests, and it depends on nothing of the product. This file owns the [`Sandbox`] handle
//! (start, URLs, tokens, state, faults); the services are in `okta` and `apono`, their
//! state in `state`, the HTTP serving in `server`, the exchange log in [`record`].
//! Requests and responses agree with the reference documents: [`contract`] (feature
//! `contract`) checks exchanges against the vendored documents in `tests/fixtures/`, and
//! `tests/sandbox_contract.rs` checks every exchange of a full run and of the error answers.
//!
//! **Okta** (`okta_url()`): `Authorization: SSWS <token>`, but for the org metadata
//! (`GET /.well-known/okta-organization`: the org id, `pipeline`, and the sandbox's own
//! origin as `_links.organization`), which takes none; users/me and user roles, the
//! client-privileges setting, apps (create, list with `q`/`limit`/`after`/
//! `includeNonDeleted`/`filter`, get, replace, lifecycle, delete), app JWKS, scope grants,
//! client roles, API tokens (`DELETE /api/v1/api-tokens/current` revokes the caller), users
//! and groups. Lists paginate with `Link` headers (`rel="self"` and `rel="next"` as separate
//! headers). Every response carries `X-Okta-Request-Id`, `X-Rate-Limit-Limit`,
//! `-Remaining`, `-Reset` and `Date`; the error codes are listed below. Choices where
//! Okta's documents are silent:
//! - `GET /api/v1/apps` lists `ACTIVE` apps only, unless `includeNonDeleted=true` (as the
//!   reference document and DESIGN §1 say) or `filter=status eq "INACTIVE"`.
//! - `GET /api/v1/apps/{id}/credentials/jwks` answers a bare array (the reference
//!   document's schema); the keys are also in the app's `settings.oauthClient.jwks.keys`.
//! - A duplicate scope grant answers 400 `E0000001` with the cause
//!   "scopeId: The scope '…' is already granted to this app.".
//! - With `client_privileges_setting` on, a service app's first grant also assigns
//!   `SUPER_ADMIN` to its client, as DESIGN §1 describes Okta doing.
//! - RSA keys shorter than 2048 bits are refused, as Okta does.
//! - Rate-limit headers count calls per minute but are never enforced: use
//!   [`FaultAction::RateLimit`] for 429s.
//!
//! **Apono** (`apono_url()`): `Authorization: Bearer <token>`; the catalog
//! (`GET /api/v2/integrations-catalog[/{type}]`, paginated with `limit` and `offset` as
//! `PaginationInfo` says), integrations v4 (list with `type`/`name`/`category`/`status`/
//! `limit`/`page_token`, create, get, update, delete) and v2 `GET /api/v2/integrations/{id}`.
//! Both services answer gzip when the request's `Accept-Encoding` allows it.
//! Errors are `{"error_code": "...", "error_details": "..."}`. An integration's status is
//! `Initializing` for [`SandboxOptions::polls_until_settled`] reads after a create or
//! update (or, with [`SandboxOptions::activation`], until that much time has passed);
//! the next read evaluates the Okta side as Apono's first sync would, and settles
//! on `Active` (with `last_sync_time`) or `Error` with a message in `details` (an extra
//! field of the v4 body, present only when set; the v2 body's own `details` field).
//!
//! Choices on the Apono side: the v2 `GET /api/v2/integrations/{id}` counts as a read
//! too; a settled status stays until the next update (set `status` back to
//! `Initializing` through [`Sandbox::with_state`] to force a new evaluation); the Okta
//! domain must be `host[:port]` exactly (a scheme or path settles on `Error`);
//! `integration_config` keys not in the catalog entry's `params` are refused (400).
//!
//! # Okta error codes
//! - 401 `E0000011` "Invalid token provided": missing, unknown or revoked `SSWS` token.
//! - 403 `E0000006` "You do not have permission to perform the requested action": the
//!   token's user lacks the role (grants and client roles need `SUPER_ADMIN`; app and
//!   JWKS writes `SUPER_ADMIN`, `ORG_ADMIN` or `APP_ADMIN`; reads any admin role). Any
//!   token may revoke itself.
//! - 400 `E0000003` "The request body was not well-formed.": a body that is not a JSON object.
//! - 400 `E0000001` "Api validation failed: {field}" with `errorCauses`: app validation,
//!   JWK validation (missing `use`, short RSA key, duplicate `kid`), deleting an active key,
//!   deactivating the only active key of a `private_key_jwt` app, grant issuer other than
//!   the org URL, unknown scope, duplicate grant, unknown role type.
//! - 403 `E0000056` "Delete application forbidden.": deleting an `ACTIVE` app.
//! - 404 `E0000007` "Not found: Resource not found: {id} ({Kind})": unknown app
//!   (`AppInstance`), key, grant, client, role assignment, user, token, or path.
//! - 405 `E0000022` "The endpoint does not support the provided HTTP method".
//! - 409 `E0000090` "Duplicate role assignment exception".
//!
//! # Beyond Okta's API
//! `POST /sandbox/tokens` on the Okta port mints a fresh super admin API token and
//! answers `{"token": "00...", "user": "..."}` (201): a real org's tokens come from a
//! person in the admin console, and each `connect` revokes its own, so this is how a
//! second run (a rotation) gets one. It needs no auth (the sandbox listens on loopback
//! only) and is not recorded as an exchange. [`Sandbox::mint_super_admin_token`] does the
//! same in process.
//! - 429 `E0000047` "API call exceeded rate limit due to too many requests." (injected).

mod apono;
#[cfg(feature = "contract")]
pub mod contract;
mod iam;
mod okta;
pub mod record;
mod server;
mod state;
mod util;

#[cfg(test)]
mod tests;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use record::{Exchange, Service, TimedExchange, Timing, dependent_round_trips};
pub use state::{
    ApiToken, AponoState, App, CatalogEntry, CustomRole, Grant, Group, Integration, Key, OktaState,
    ResourceSet, ResourceSetResource, RoleAssignment, State, User,
};

use server::{Shared, lock};

/// Apono's public key, the one its Terraform module puts on the Okta app (DESIGN §1):
/// data the fake Apono owns (the product keeps its own copy, `apono_okta::apono::PUBLIC_JWK`;
/// the product's tests assert the two are equal). The sandbox's Apono expects it on the
/// app (compared by `n` and `e`); change [`AponoState::apono_public_jwk`] through
/// [`Sandbox::with_state`] to expect another.
pub const APONO_PUBLIC_JWK: &str = r#"{"kty":"RSA","kid":"c90fab69-f5cb-4975-97c1-87bb2688be8e","e":"AQAB","use":"sig","n":"rlN2Sq1LPsQj4BOS1lSN6KSuQBWT_okRZVnGQmrMYtX_n3QIOTtYYwBWPgU6b3GugyUc5v51gtykRbUXeoprfXcCfU3C2UUhzPOL8ZnIOVity5pk_9aFNHhGp6k_yGjadLOLxKUNFBh7X0-W_simDSf6EFOGU3EQjO5PUkyEXipp95kDBseh-lmv5nGHDaeqLDEzCPyptgBxg8pzUQM5t9o97fbSvy7qptg-RArF759dnHmva5W94tzO03gwhMNiI_0UlIG3TTg9K8DTcVTI0lS4CFdf7BpRQnurk6kb1UC7UE2RCPZO_E-mxaenTu6ckEx-1N6v0q_x5xJRW8rp9w"}"#;

/// The body a client sends to create the OpenID Connect service app of DESIGN §1, for
/// tests that play the client. The product builds its own
/// (`apono_okta::okta::service_app_body`); its tests check the two agree.
pub fn service_app_request(label: &str, public_key: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "name": "oidc_client",
        "label": label,
        "signOnMode": "OPENID_CONNECT",
        "credentials": {
            "oauthClient": { "token_endpoint_auth_method": "private_key_jwt" }
        },
        "settings": {
            "oauthClient": {
                "application_type": "service",
                "grant_types": ["client_credentials"],
                "response_types": ["token"],
                "jwks": { "keys": [public_key] }
            }
        }
    })
}

/// A copy of the sandbox's state at one moment, for assertions
/// (`snapshot.okta.apps`, `snapshot.okta.api_tokens`, `snapshot.apono.integrations`).
pub type Snapshot = State;

/// How a sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// What `GET /api/v1/org/settings/clientPrivilegesSetting` answers (default `false`).
    pub client_privileges_setting: bool,
    /// Page size of every Okta and Apono list when the request gives no `limit`
    /// (default 20); 1 forces pagination.
    pub page_size: usize,
    /// How many `GET /api/admin/v4/integrations/{id}` answer `Initializing` after a create
    /// or update before the status is evaluated (default 1).
    pub polls_until_settled: u32,
    /// Apono's activation time: when set, an integration stays `Initializing` until this
    /// much time has passed since its create or update, and the first read after that
    /// evaluates it (whatever [`polls_until_settled`](Self::polls_until_settled) says).
    /// A benchmark sets it to model a real activation; default `None` (count reads).
    pub activation: Option<Duration>,
    /// Whether the org can use custom admin roles (default `true`); an org without them
    /// answers the IAM calls and `CUSTOM` assignments with 403 `E0000015`.
    pub custom_admin_roles: bool,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            client_privileges_setting: false,
            page_size: 20,
            polls_until_settled: 1,
            activation: None,
            custom_admin_roles: true,
        }
    }
}

/// A fault to inject: the `nth` to `nth + times - 1`-th requests (counted from injection)
/// matching `service`, `method` and `path` get `action` instead of (or before) the real
/// handler.
#[derive(Debug, Clone)]
pub struct Fault {
    pub service: Service,
    /// Upper-case HTTP method, e.g. `"POST"` (compared case-insensitively).
    pub method: String,
    /// The path without query, exact, or with `*` matching one segment:
    /// `"/api/v1/apps/*/grants"`.
    pub path: String,
    /// 1-based: the nth matching request triggers (0 counts as 1).
    pub nth: usize,
    /// How many consecutive matching requests from the nth on are affected (0 counts as 1).
    pub times: usize,
    pub action: FaultAction,
}

/// What an injected fault does.
#[derive(Debug, Clone)]
pub enum FaultAction {
    /// Answer this status and JSON body (a `null` body or status 204 sends no body),
    /// with the service's usual headers. The real handler does not run: no state change.
    Respond {
        status: u16,
        body: serde_json::Value,
    },
    /// Wait, then run the real handler.
    Delay(Duration),
    /// Close the connection without any response; the handler does not run.
    /// Recorded with status 0.
    Drop,
    /// Run the real handler (the write happens), then close the connection without
    /// sending its answer: the client cannot know whether the write happened.
    /// Recorded with the answer the client never got.
    LoseAnswer,
    /// Hold the request for this long, then run the real handler whether or not the
    /// client is still waiting: with a delay longer than the client's timeout, the write
    /// commits after the client gave up (a "late commit").
    CommitLate(Duration),
    /// Answer 429 (Okta: `E0000047`; Apono: `TOO_MANY_REQUESTS`) with
    /// `X-Rate-Limit-Remaining: 0` and `X-Rate-Limit-Reset` = now + `reset_after_secs`
    /// (epoch seconds); the handler does not run.
    RateLimit { reset_after_secs: u64 },
    /// Like [`FaultAction::Respond`], plus these response headers (name, value), added
    /// in order before the service's usual ones (a header set here, e.g.
    /// `X-Okta-Request-Id`, is not added again). Several with one name are all sent:
    /// this is how a test serves hand-made `Link` headers. The handler does not run.
    RespondWithHeaders {
        status: u16,
        body: serde_json::Value,
        headers: Vec<(String, String)>,
    },
}

impl Fault {
    /// A fault with any action.
    pub fn new(
        service: Service,
        method: &str,
        path: &str,
        nth: usize,
        action: FaultAction,
    ) -> Fault {
        Fault {
            service,
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            nth,
            times: 1,
            action,
        }
    }

    /// The nth matching request is answered `status` with `body`.
    pub fn respond(
        service: Service,
        method: &str,
        path: &str,
        nth: usize,
        status: u16,
        body: serde_json::Value,
    ) -> Fault {
        let action = FaultAction::Respond { status, body };
        Fault::new(service, method, path, nth, action)
    }

    /// The nth matching request waits `delay` before being handled.
    pub fn delay(service: Service, method: &str, path: &str, nth: usize, delay: Duration) -> Fault {
        Fault::new(service, method, path, nth, FaultAction::Delay(delay))
    }

    /// The nth matching request's connection is closed without a response.
    pub fn drop_connection(service: Service, method: &str, path: &str, nth: usize) -> Fault {
        Fault::new(service, method, path, nth, FaultAction::Drop)
    }

    /// The nth matching request is handled, but its answer is lost.
    pub fn lose_answer(service: Service, method: &str, path: &str, nth: usize) -> Fault {
        Fault::new(service, method, path, nth, FaultAction::LoseAnswer)
    }

    /// The nth matching request is handled after `delay`, even if the client gave up.
    pub fn commit_late(
        service: Service,
        method: &str,
        path: &str,
        nth: usize,
        delay: Duration,
    ) -> Fault {
        Fault::new(service, method, path, nth, FaultAction::CommitLate(delay))
    }

    /// The nth matching request is answered 429, resetting `reset_after_secs` from now.
    pub fn rate_limit(
        service: Service,
        method: &str,
        path: &str,
        nth: usize,
        reset_after_secs: u64,
    ) -> Fault {
        let action = FaultAction::RateLimit { reset_after_secs };
        Fault::new(service, method, path, nth, action)
    }

    /// The same fault, affecting `times` consecutive matching requests.
    pub fn times(mut self, times: usize) -> Fault {
        self.times = times;
        self
    }
}

/// A running sandbox: an Okta server and an Apono server on loopback, sharing one state.
/// Dropping it shuts both down.
pub struct Sandbox {
    shared: Arc<Shared>,
    okta_addr: SocketAddr,
    apono_addr: SocketAddr,
    super_admin_token: String,
    read_only_admin_token: String,
    apono_token: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("okta_url", &self.okta_url())
            .field("apono_url", &self.apono_url())
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Binds `127.0.0.1:0` for Okta and for Apono and serves them from a thread of its
    /// own (with its own tokio runtime, so this works from plain `#[test]`s and from
    /// inside another runtime). Returns once both listen.
    pub fn start(options: SandboxOptions) -> io::Result<Sandbox> {
        let okta_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        let apono_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        okta_listener.set_nonblocking(true)?;
        apono_listener.set_nonblocking(true)?;
        let okta_addr = okta_listener.local_addr()?;
        let apono_addr = apono_listener.local_addr()?;
        let okta_url = format!("http://{okta_addr}");
        let mut state = State::new(
            &okta_url,
            &okta_addr.to_string(),
            options.client_privileges_setting,
        );
        state.okta.custom_admin_roles = options.custom_admin_roles;
        let super_admin_token = state.okta.api_tokens[0].token.clone();
        let read_only_admin_token = state.okta.api_tokens[1].token.clone();
        let apono_token = state.apono.api_tokens[0].clone();
        let shared = Arc::new(Shared::new(options, state));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<()>>();
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("apono-okta-sandbox".into())
            .spawn(move || {
                runtime.block_on(server::run(
                    thread_shared,
                    okta_listener,
                    apono_listener,
                    ready_tx,
                    shutdown_rx,
                ));
                // Dropping the runtime here cancels every connection still open.
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(io::Error::other("the sandbox thread stopped early")),
        }
        Ok(Sandbox {
            shared,
            okta_addr,
            apono_addr,
            super_admin_token,
            read_only_admin_token,
            apono_token,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, the Okta org URL (no trailing slash).
    pub fn okta_url(&self) -> String {
        format!("http://{}", self.okta_addr)
    }

    /// `http://127.0.0.1:PORT2`, the Apono API base URL (no trailing slash).
    pub fn apono_url(&self) -> String {
        format!("http://{}", self.apono_addr)
    }

    /// `127.0.0.1:PORT`: the Okta domain (host and port, no scheme), as Apono wants it.
    pub fn okta_domain(&self) -> String {
        self.okta_addr.to_string()
    }

    /// An Okta API token (`00` + 40 base62 characters, random per start) of a user
    /// holding `SUPER_ADMIN`.
    pub fn super_admin_token(&self) -> String {
        self.super_admin_token.clone()
    }

    /// A fresh Okta API token of the super admin, as `POST /sandbox/tokens` mints one:
    /// every `connect` revokes its token, so a second run (a rotation) needs another.
    pub fn mint_super_admin_token(&self) -> String {
        okta::mint_super_admin_token(&mut lock(&self.shared.state).okta)
    }

    /// `curl` line that mints a fresh super admin token (`POST /sandbox/tokens`, an
    /// endpoint of the sandbox, not of Okta).
    pub fn mint_token_command(&self) -> String {
        format!(
            "curl -s -X POST {}{}",
            self.okta_url(),
            okta::MINT_TOKEN_PATH
        )
    }

    /// A valid Okta API token of a user holding only `READ_ONLY_ADMIN`: reads work,
    /// writes answer 403 `E0000006`.
    pub fn read_only_admin_token(&self) -> String {
        self.read_only_admin_token.clone()
    }

    /// A valid Apono personal API token (random per start).
    pub fn apono_token(&self) -> String {
        self.apono_token.clone()
    }

    /// `METHOD /path` of every request received so far, answered or not (a held one
    /// too), in the order received.
    pub fn received(&self) -> Vec<String> {
        lock(&self.shared.received).clone()
    }

    /// Every request answered so far by either service, in the order answered.
    pub fn exchanges(&self) -> Vec<Exchange> {
        lock(&self.shared.exchanges)
            .iter()
            .map(|t| t.exchange.clone())
            .collect()
    }

    /// [`exchanges`](Self::exchanges) with when each started and finished (since the
    /// sandbox started), for telling which requests were in flight together.
    pub fn timed_exchanges(&self) -> Vec<TimedExchange> {
        lock(&self.shared.exchanges).clone()
    }

    /// Forgets the recorded exchanges.
    pub fn clear_exchanges(&self) {
        lock(&self.shared.exchanges).clear();
    }

    /// A copy of the current state.
    pub fn snapshot(&self) -> Snapshot {
        lock(&self.shared.state).clone()
    }

    /// Arms a fault; its `nth` counts matching requests from now on.
    pub fn inject(&self, fault: Fault) {
        lock(&self.shared.faults).push(server::Armed { fault, seen: 0 });
    }

    /// Adds this much latency to every call of either service (zero removes it).
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.shared.latency) = latency;
    }

    /// Runs `f` on the live state (to seed apps, integrations, tokens...). Apps' `json`
    /// is refreshed from their typed fields afterwards.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut state = lock(&self.shared.state);
        let out = f(&mut state);
        let org_url = state.okta.org_url.clone();
        for app in &mut state.okta.apps {
            app.refresh(&org_url);
        }
        out
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
