//! The fault matrix: every write of a fresh connect and of a rotation, each hit by
//! each kind of fault (a 500, a dropped connection, a lost answer, a commit that lands
//! after the client's timeout, a 429), asserting the END STATE DESIGN.md §3 allows
//! ([`endstate::check_outcome`]): healthy, or failed with nothing of the run left and
//! Apono unchanged, or exit 6 naming exactly what is left. In every cell Apono never
//! references a missing app, and a later plain run converges to one integration on
//! one app ([`endstate::check_converges`]).
//!
//! One `#[test]` per (flow, kind of fault); its cells (one per write) run in parallel
//! threads, each against a sandbox of its own, and a failure lists every broken cell.
//! Runs use `--timeout 1` and late commits land 1.5 s after the request: after the
//! client gave up, within its look window.

use std::time::Duration;

use serde_json::json;

use apono_okta_sandbox::{Fault, Service};

use crate::support::endstate::{self, Before};
use crate::support::harness::Harness;

/// The per-request timeout of the faulted run, in seconds.
const TIMEOUT: &str = "2";
/// Longer than [`TIMEOUT`], shorter than the timeout plus the look window (half of it).
const LATE_COMMIT: Duration = Duration::from_millis(2500);

#[derive(Debug, Clone, Copy)]
enum Flow {
    /// A first connect on an empty org.
    Fresh,
    /// A second connect after one that kept its token: the same writes plus pointing
    /// the integration at the new app and retiring the previous one.
    Rotate,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    ServerError,
    DroppedConnection,
    LostAnswer,
    LateCommit,
    RateLimited,
}

/// One write request, as a fault matches it.
#[derive(Debug, Clone, Copy)]
struct Write {
    service: Service,
    method: &'static str,
    path: &'static str,
}

const fn write(service: Service, method: &'static str, path: &'static str) -> Write {
    Write {
        service,
        method,
        path,
    }
}

const CREATE_APP: Write = write(Service::Okta, "POST", "/api/v1/apps");
const GRANT_SCOPE: Write = write(Service::Okta, "POST", "/api/v1/apps/*/grants");
const ASSIGN_ROLE: Write = write(Service::Okta, "POST", "/oauth2/v1/clients/*/roles");
const CREATE_INTEGRATION: Write = write(Service::Apono, "POST", "/api/admin/v4/integrations");
const UPDATE_INTEGRATION: Write = write(Service::Apono, "PUT", "/api/admin/v4/integrations/*");
const DEACTIVATE_APP: Write = write(Service::Okta, "POST", "/api/v1/apps/*/lifecycle/deactivate");
const DELETE_APP: Write = write(Service::Okta, "DELETE", "/api/v1/apps/*");
const REVOKE_TOKEN: Write = write(Service::Okta, "DELETE", "/api/v1/api-tokens/current");

impl Flow {
    fn writes(self) -> &'static [Write] {
        match self {
            Flow::Fresh => &[
                CREATE_APP,
                GRANT_SCOPE,
                ASSIGN_ROLE,
                CREATE_INTEGRATION,
                REVOKE_TOKEN,
            ],
            Flow::Rotate => &[
                CREATE_APP,
                GRANT_SCOPE,
                ASSIGN_ROLE,
                UPDATE_INTEGRATION,
                DEACTIVATE_APP,
                DELETE_APP,
                REVOKE_TOKEN,
            ],
        }
    }
}

impl Kind {
    /// The fault that hits the first request of `write`.
    fn fault(self, write: Write) -> Fault {
        let Write {
            service,
            method,
            path,
        } = write;
        match self {
            Kind::ServerError => {
                let body = match service {
                    Service::Okta => json!({
                        "errorCode": "E0000009",
                        "errorSummary": "Internal Server Error",
                        "errorLink": "E0000009",
                        "errorId": "oaeFAULTMATRIX",
                        "errorCauses": []
                    }),
                    Service::Apono => {
                        json!({"error_code": "INTERNAL", "error_details": "database unavailable"})
                    }
                };
                Fault::respond(service, method, path, 1, 500, body)
            }
            Kind::DroppedConnection => Fault::drop_connection(service, method, path, 1),
            Kind::LostAnswer => Fault::lose_answer(service, method, path, 1),
            Kind::LateCommit => Fault::commit_late(service, method, path, 1, LATE_COMMIT),
            Kind::RateLimited => Fault::rate_limit(service, method, path, 1, 1),
        }
    }
}

/// One cell: sets the org up for `flow`, runs a connect whose first `write` gets the
/// fault, checks the end state, then checks a later run converges.
fn cell(flow: Flow, write: Write, kind: Kind) -> Result<(), String> {
    let h = Harness::new();
    let token = h.sandbox.super_admin_token();
    let before = match flow {
        Flow::Fresh => Before::default(),
        Flow::Rotate => {
            h.connect(&["--json", "--keep-api-token"]).assert_code(0);
            Before::connected(&h)
        }
    };
    h.sandbox.inject(kind.fault(write));
    let run = h.connect(&["--json", "--timeout", TIMEOUT]);
    if let Kind::LateCommit = kind {
        // The held write may land after the run ended: judge the state it leaves.
        std::thread::sleep(LATE_COMMIT);
    }
    eprintln!(
        "{flow:?} / {kind:?} on {} {}: exit {}",
        write.method, write.path, run.code
    );
    let with_output = |why: String| {
        format!(
            "{why}\n--- exit {}\n--- stdout\n{}\n--- stderr\n{}",
            run.code, run.stdout, run.stderr
        )
    };
    endstate::check_outcome(&h, &run, &before, &token, false).map_err(with_output)?;
    endstate::check_converges(&h, &token).map_err(|why| format!("after the run: {why}"))
}

/// Runs the cells of one row in parallel and panics listing every broken one.
fn row(flow: Flow, kind: Kind) {
    let cells: Vec<_> = flow
        .writes()
        .iter()
        .map(|&write| {
            let handle = std::thread::spawn(move || cell(flow, write, kind));
            (write, handle)
        })
        .collect();
    let broken: Vec<String> = cells
        .into_iter()
        .filter_map(|(write, handle)| {
            let outcome = handle
                .join()
                .unwrap_or_else(|panic| Err(format!("panicked: {}", panic_text(&panic))));
            outcome.err().map(|why| {
                format!(
                    "== {flow:?} / {kind:?} on {} {}: {why}",
                    write.method, write.path
                )
            })
        })
        .collect();
    assert!(broken.is_empty(), "{}", broken.join("\n\n"));
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

macro_rules! fault_matrix {
    ($($name:ident: $flow:ident, $kind:ident;)*) => {
        $(
            #[test]
            fn $name() {
                row(Flow::$flow, Kind::$kind);
            }
        )*
    };
}

fault_matrix! {
    fresh_server_error: Fresh, ServerError;
    fresh_dropped_connection: Fresh, DroppedConnection;
    fresh_lost_answer: Fresh, LostAnswer;
    fresh_late_commit: Fresh, LateCommit;
    fresh_rate_limited: Fresh, RateLimited;
    rotate_server_error: Rotate, ServerError;
    rotate_dropped_connection: Rotate, DroppedConnection;
    rotate_lost_answer: Rotate, LostAnswer;
    rotate_late_commit: Rotate, LateCommit;
    rotate_rate_limited: Rotate, RateLimited;
}
