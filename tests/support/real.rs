//! Real components for the `tests/real_*.rs` modules: a private D-Bus session with
//! gnome-keyring's Secret Service, a test CA and a TLS front for the sandbox, tinyproxy,
//! and the lookup of the system programs they need.
//!
//! `.ci/run` installs the programs (Debian packages). On a machine without them a test
//! fails, naming the package to install, unless `APONO_OKTA_SKIP_REAL=1`, which makes it
//! skip with the reason printed. Every daemon is a child of the test process, on free
//! loopback ports or sockets in a temporary directory, killed when its handle drops.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio_rustls::rustls;

/// Set to `1` to skip the real-component tests when their programs are missing.
pub const SKIP_ENV: &str = "APONO_OKTA_SKIP_REAL";

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

/// The paths of `programs`, or `None` when some are missing and `APONO_OKTA_SKIP_REAL=1`
/// (the reason is printed). Missing programs without that variable fail the test with
/// the packages to install.
pub fn require(test: &str, programs: &[&str]) -> Option<Vec<PathBuf>> {
    let found: Vec<Option<PathBuf>> = programs.iter().map(|p| find_program(p)).collect();
    let missing: Vec<&str> = programs
        .iter()
        .zip(&found)
        .filter(|(_, path)| path.is_none())
        .map(|(program, _)| *program)
        .collect();
    if missing.is_empty() {
        return Some(found.into_iter().flatten().collect());
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
    let reason = format!(
        "{test} needs {} (not found on PATH); install with `apt-get install {}` (Debian/Ubuntu; `.ci/run` does), or set {SKIP_ENV}=1 to skip the real-component tests",
        missing.join(", "),
        packages.join(" ")
    );
    if std::env::var(SKIP_ENV).as_deref() == Ok("1") {
        eprintln!("skipped ({SKIP_ENV}=1): {reason}");
        return None;
    }
    panic!("{reason}");
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

fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Secret Service: a private session bus with gnome-keyring-daemon.

/// The login keyring's password in the private gnome-keyring.
const KEYRING_PASSWORD: &str = "apono-okta-test-keyring";

/// A private D-Bus session bus (no service activation: nothing starts on its own) with
/// gnome-keyring-daemon's Secret Service on it, its login keyring created and unlocked.
/// Its files live in a temporary directory; both daemons are killed on drop.
pub struct SecretService {
    /// `DBUS_SESSION_BUS_ADDRESS` of the private bus.
    pub address: String,
    // Dropped in this order: the keyring first, then the bus, then the directory.
    _keyring: Daemon,
    _bus: Daemon,
    dir: tempfile::TempDir,
}

impl SecretService {
    /// Starts both daemons; `None` when the programs are missing and skipping is allowed.
    pub fn start(test: &str) -> Option<SecretService> {
        let programs = require(
            test,
            &[
                "dbus-daemon",
                "dbus-send",
                "gnome-keyring-daemon",
                "secret-tool",
            ],
        )?;
        let (dbus_daemon, gnome_keyring) = (&programs[0], &programs[2]);
        let dir = tempfile::Builder::new()
            .prefix("ss")
            .tempdir()
            .expect("a temporary directory");
        let run_dir = dir.path().join("run");
        std::fs::create_dir(&run_dir).expect("the runtime directory");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&run_dir, std::fs::Permissions::from_mode(0o700))
                .expect("the runtime directory is private");
        }
        // A session bus of our own: listens in our directory, owns anything, activates
        // nothing (no <servicedir>), so no stray keyring daemon is ever started by it.
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                run_dir.display()
            ),
        )
        .expect("the bus configuration is written");
        let mut bus_child = Command::new(dbus_daemon)
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--nopidfile", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // As root in a container it complains it cannot raise its fd limit.
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon starts");
        let mut address = String::new();
        BufReader::new(bus_child.stdout.take().expect("piped stdout"))
            .read_line(&mut address)
            .expect("dbus-daemon prints its address");
        let bus = Daemon::new("dbus-daemon", bus_child);
        let address = address.trim().to_string();
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon printed no address ({address:?})"
        );

        let log = dir.path().join("gnome-keyring.log");
        let log_file = std::fs::File::create(&log).expect("the keyring log");
        let mut keyring_child = Command::new(gnome_keyring)
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_RUNTIME_DIR", &run_dir)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdin(Stdio::piped())
            .stdout(log_file.try_clone().expect("the keyring log"))
            .stderr(log_file)
            .spawn()
            .expect("gnome-keyring-daemon starts");
        // `--unlock` reads the login keyring's password from stdin, up to end of file.
        let mut stdin = keyring_child.stdin.take().expect("piped stdin");
        stdin
            .write_all(KEYRING_PASSWORD.as_bytes())
            .expect("the keyring password is written");
        drop(stdin);
        let mut keyring = Daemon::new("gnome-keyring-daemon", keyring_child);
        let owned = wait_until(Duration::from_secs(10), || {
            name_has_owner(&address, "org.freedesktop.secrets")
        });
        keyring.assert_running(&format!(
            "before owning org.freedesktop.secrets; its log:\n{}",
            read_lossy(&log)
        ));
        assert!(
            owned,
            "gnome-keyring-daemon did not own org.freedesktop.secrets within 10s; its log:\n{}",
            read_lossy(&log)
        );
        Some(SecretService {
            address,
            _keyring: keyring,
            _bus: bus,
            dir,
        })
    }

    /// `secret-tool` on the private bus.
    fn secret_tool(&self) -> Command {
        let mut command = Command::new("secret-tool");
        command
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", self.dir.path())
            .stdin(Stdio::null());
        command
    }

    /// The secret stored under `service` and `account`, read with `secret-tool lookup`
    /// (libsecret, independent of the binary's keyring crate). keyring 4's Secret
    /// Service store keeps the account in the attribute `username`.
    pub fn lookup(&self, service: &str, account: &str) -> Option<String> {
        let out = self
            .secret_tool()
            .args(["lookup", "service", service, "username", account])
            .output()
            .expect("secret-tool runs");
        // Exit 1 with no output: no such item.
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
            .filter(|s| !s.is_empty())
    }

    /// Removes every item under `service` and `account` (`secret-tool clear`).
    pub fn clear(&self, service: &str, account: &str) {
        let status = self
            .secret_tool()
            .args(["clear", "service", service, "username", account])
            .status()
            .expect("secret-tool runs");
        assert!(status.success(), "secret-tool clear failed: {status}");
    }
}

/// Whether `name` has an owner on the bus at `address` (asked with `dbus-send`).
fn name_has_owner(address: &str, name: &str) -> bool {
    Command::new("dbus-send")
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
        ])
        .arg(format!("string:{name}"))
        .stderr(Stdio::null())
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("boolean true"))
        .unwrap_or(false)
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
    pub fn start(test: &str, connect_ports: &[u16]) -> Option<Tinyproxy> {
        let programs = require(test, &["tinyproxy"])?;
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
                return Some(Tinyproxy {
                    port,
                    log,
                    _daemon: daemon,
                    _dir: dir,
                });
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
