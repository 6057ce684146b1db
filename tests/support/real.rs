//! Real components for the `tests/real_*.rs` modules: a test CA and a TLS front for the
//! sandbox, tinyproxy, and the lookup of the system programs they need (the Secret
//! Service is in `secret_service`).
//!
//! The tests that need programs outside Rust and a C compiler (tinyproxy, gnome-keyring,
//! dbus, secret-tool) are `#[ignore]`d, so `cargo test --locked` passes without them;
//! `cargo test --locked -- --include-ignored` runs them (`.ci/run` installs the Debian
//! packages and does). Run without its programs, such a test fails, naming the package to
//! install: it never passes by skipping. Every daemon is a child of the test process, on
//! free loopback ports or sockets in a temporary directory, killed when its handle drops.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio_rustls::rustls;

/// The Debian package that provides each program the real-component tests run.
const PACKAGES: &[(&str, &str)] = &[
    ("dbus-daemon", "dbus"),
    ("dbus-send", "dbus"),
    ("gnome-keyring-daemon", "gnome-keyring"),
    ("secret-tool", "libsecret-tools"),
    ("tinyproxy", "tinyproxy"),
    ("bash", "bash"),
];

/// The full path of `program` on `PATH` (or in `/usr/sbin`, `/sbin`, where some
/// daemons live and a non-root `PATH` may not look).
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The paths of `programs`; when some are missing the test fails, naming the packages to
/// install.
pub fn require(test: &str, programs: &[&str]) -> Vec<PathBuf> {
    let found: Vec<Option<PathBuf>> = programs.iter().map(|p| find_program(p)).collect();
    let missing: Vec<&str> = programs
        .iter()
        .zip(&found)
        .filter(|(_, path)| path.is_none())
        .map(|(program, _)| *program)
        .collect();
    if missing.is_empty() {
        return found.into_iter().flatten().collect();
    }
    let mut packages: Vec<&str> = missing
        .iter()
        .map(|program| {
            PACKAGES
                .iter()
                .find(|(p, _)| p == program)
                .map_or(*program, |(_, package)| *package)
        })
        .collect();
    packages.dedup();
    panic!(
        "{test} needs {} (not found on PATH); install with `apt-get install {}` (Debian/Ubuntu; `.ci/run` does)",
        missing.join(", "),
        packages.join(" ")
    );
}

/// A child process killed (and reaped) when dropped.
pub struct Daemon {
    name: String,
    child: Child,
}

impl Daemon {
    pub fn new(name: &str, child: Child) -> Daemon {
        Daemon {
            name: name.to_string(),
            child,
        }
    }

    /// Panics with `context` if the process has already exited.
    pub fn assert_running(&mut self, context: &str) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited ({status}) {context}", self.name);
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Calls `ready` every 20 ms until it answers true or `within` passes.
pub fn wait_until(within: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A free TCP port on 127.0.0.1 (free when asked; a daemon that fails to bind it is
/// retried by its caller).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

pub fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// TLS: a test CA and a TLS front for the sandbox.

/// A certificate authority made for one test, and a server certificate it signed for
/// `localhost` and `127.0.0.1`.
pub struct TestCa {
    /// The CA certificate, PEM: what `--ca-bundle` is given.
    pub ca_pem: String,
    server_cert: rustls::pki_types::CertificateDer<'static>,
    server_key: Vec<u8>,
}

impl TestCa {
    pub fn new() -> TestCa {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().expect("a CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "apono-okta test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).expect("the CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().expect("a server key");
        let mut server_params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("server params");
        server_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let server_cert = server_params
            .signed_by(&server_key, &issuer)
            .expect("the server certificate");
        TestCa {
            ca_pem: ca_cert.pem(),
            server_cert: server_cert.der().clone(),
            server_key: server_key.serialize_der(),
        }
    }

    /// Writes the CA certificate to `dir/ca.pem` and returns the path.
    pub fn write_ca(&self, dir: &Path) -> PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, &self.ca_pem).expect("ca.pem is written");
        path
    }

    fn server_config(&self) -> rustls::ServerConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(self.server_key.clone().into());
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![self.server_cert.clone()], key)
            .expect("the server certificate and key")
    }
}

/// A TLS-terminating front on 127.0.0.1: accepts TLS with the [`TestCa`]'s server
/// certificate and forwards the plain bytes to `upstream` (a sandbox port). Records the
/// peer address of every TCP connection and counts completed handshakes.
pub struct TlsFront {
    pub addr: SocketAddr,
    peers: Arc<Mutex<Vec<SocketAddr>>>,
    handshakes: Arc<Mutex<usize>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TlsFront {
    pub fn start(ca: &TestCa, upstream: SocketAddr) -> TlsFront {
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(ca.server_config()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("the TLS front binds");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("the TLS front's address");
        let peers = Arc::new(Mutex::new(Vec::new()));
        let handshakes = Arc::new(Mutex::new(0));
        let (shutdown, mut stop) = tokio::sync::oneshot::channel::<()>();
        let (thread_peers, thread_handshakes) = (peers.clone(), handshakes.clone());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the TLS front");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                loop {
                    let (socket, peer) = tokio::select! {
                        _ = &mut stop => return,
                        accepted = listener.accept() => match accepted {
                            Ok(pair) => pair,
                            Err(_) => continue,
                        },
                    };
                    thread_peers.lock().unwrap().push(peer);
                    let acceptor = acceptor.clone();
                    let handshakes = thread_handshakes.clone();
                    tokio::spawn(async move {
                        // A client that refuses our certificate ends here.
                        let Ok(mut tls) = acceptor.accept(socket).await else {
                            return;
                        };
                        *handshakes.lock().unwrap() += 1;
                        let Ok(mut plain) = tokio::net::TcpStream::connect(upstream).await else {
                            return;
                        };
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    });
                }
            });
        });
        TlsFront {
            addr,
            peers,
            handshakes,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// `https://localhost:PORT`.
    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// `localhost:PORT`, the host and port the client names.
    pub fn host_port(&self) -> String {
        format!("localhost:{}", self.addr.port())
    }

    /// The peer address of every TCP connection accepted so far.
    pub fn peers(&self) -> Vec<SocketAddr> {
        self.peers.lock().unwrap().clone()
    }

    /// How many TLS handshakes completed.
    pub fn handshakes(&self) -> usize {
        *self.handshakes.lock().unwrap()
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `host:port` of a sandbox URL `http://127.0.0.1:PORT`, as a socket address.
pub fn sandbox_addr(url: &str) -> SocketAddr {
    url.trim_start_matches("http://")
        .parse()
        .expect("a sandbox URL is http://127.0.0.1:PORT")
}

/// The sandbox behind two TLS fronts (Okta, Apono) with the Okta org's URL and domain set
/// to the front's, as a real org's are (grants' issuer, `Link` headers, Apono's check
/// of the Okta domain).
pub struct TlsSandbox {
    pub harness: super::harness::Harness,
    pub okta: TlsFront,
    pub apono: TlsFront,
    /// The test CA's certificate (`ca.pem`, in `_dir`).
    pub ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl TlsSandbox {
    pub fn start() -> TlsSandbox {
        use std::net::ToSocketAddrs;
        let resolves = ("localhost", 443)
            .to_socket_addrs()
            .map(|mut addrs| addrs.any(|a| a.ip().is_loopback()))
            .unwrap_or(false);
        assert!(
            resolves,
            "`localhost` does not resolve to a loopback address here (no /etc/hosts entry?); the TLS tests connect to https://localhost:PORT: add `127.0.0.1 localhost` to /etc/hosts (.ci/run does)"
        );
        let harness = super::harness::Harness::new();
        let ca = TestCa::new();
        let okta = TlsFront::start(&ca, sandbox_addr(&harness.sandbox.okta_url()));
        let apono = TlsFront::start(&ca, sandbox_addr(&harness.sandbox.apono_url()));
        let (org_url, domain) = (okta.url(), okta.host_port());
        harness.sandbox.with_state(|state| {
            state.okta.org_url = org_url;
            state.okta.domain = domain;
        });
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ca_file = ca.write_ca(dir.path());
        TlsSandbox {
            harness,
            okta,
            apono,
            ca_file,
            _dir: dir,
        }
    }

    /// `connect` arguments against the two fronts (no keyring, no store).
    pub fn connect_args(&self) -> Vec<String> {
        vec![
            "connect".into(),
            "--okta-url".into(),
            self.okta.url(),
            "--apono-url".into(),
            self.apono.url(),
            "--non-interactive".into(),
            "--no-store".into(),
            "--json".into(),
        ]
    }

    /// The binary with both tokens in its environment and `connect_args`.
    pub fn connect_command(&self) -> Command {
        let mut command = self.harness.command();
        command
            .args(self.connect_args())
            .env("OKTA_API_TOKEN", self.harness.sandbox.super_admin_token())
            .env("APONO_API_TOKEN", self.harness.sandbox.apono_token());
        command
    }
}

// ---------------------------------------------------------------------------------------
// tinyproxy: a real forward proxy.

/// tinyproxy listening on 127.0.0.1 (free port), allowing only 127.0.0.1, `CONNECT` to
/// `connect_ports` only, logging at `Connect` level to a file. Killed on drop.
pub struct Tinyproxy {
    pub port: u16,
    log: PathBuf,
    _daemon: Daemon,
    _dir: tempfile::TempDir,
}

impl Tinyproxy {
    pub fn start(test: &str, connect_ports: &[u16]) -> Tinyproxy {
        let programs = require(test, &["tinyproxy"]);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let log = dir.path().join("tinyproxy.log");
        let mut last_error = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let mut config = format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nAllow 127.0.0.1\nLogFile \"{}\"\nLogLevel Connect\nDisableViaHeader Yes\n",
                log.display()
            );
            for connect_port in connect_ports {
                config.push_str(&format!("ConnectPort {connect_port}\n"));
            }
            let config_path = dir.path().join("tinyproxy.conf");
            std::fs::write(&config_path, config).expect("the tinyproxy configuration");
            // -d: stay in the foreground (a child we can kill).
            let child = Command::new(&programs[0])
                .arg("-d")
                .arg("-c")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("tinyproxy starts");
            let mut daemon = Daemon::new("tinyproxy", child);
            let listening = wait_until(Duration::from_secs(5), || {
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            });
            if listening {
                daemon.assert_running("after it started listening");
                return Tinyproxy {
                    port,
                    log,
                    _daemon: daemon,
                    _dir: dir,
                };
            }
            last_error = read_lossy(&log);
        }
        panic!("tinyproxy did not listen on a free port in 3 attempts; its log:\n{last_error}");
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        read_lossy(&self.log)
    }
}
