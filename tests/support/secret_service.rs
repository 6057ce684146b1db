//! A private D-Bus session bus with gnome-keyring's Secret Service, for
//! `tests/real_keyring.rs`. Only where the Secret Service is the OS keyring (unix other
//! than macOS; see `support/mod.rs`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::real::{Daemon, read_lossy, require, wait_until};

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
    /// Starts both daemons; fails the test when their programs are missing.
    pub fn start(test: &str) -> SecretService {
        let programs = require(
            test,
            &[
                "dbus-daemon",
                "dbus-send",
                "gnome-keyring-daemon",
                "secret-tool",
            ],
        );
        let (dbus_daemon, gnome_keyring) = (&programs[0], &programs[2]);
        let dir = tempfile::Builder::new()
            .prefix("ss")
            .tempdir()
            .expect("a temporary directory");
        let run_dir = dir.path().join("run");
        std::fs::create_dir(&run_dir).expect("the runtime directory");
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
        SecretService {
            address,
            _keyring: keyring,
            _bus: bus,
            dir,
        }
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
