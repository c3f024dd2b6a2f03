//! PostgreSQL clusters of the tests' own: a folder in the temporary directory and a port
//! on 127.0.0.1 each, never the shared server. A test that stops and starts its database
//! gets one to itself; the PostgreSQL half of the suite runs on a shared throwaway one
//! when `TEST_DATABASE_URL` is not set.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// A cluster this process created; stopped and removed on drop.
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    /// The user the server runs as, when the tests run as root (PostgreSQL refuses root).
    user: Option<&'static str>,
}

impl Cluster {
    /// Creates and starts a cluster; the error says what is missing.
    pub fn start() -> Result<Cluster, String> {
        let bin = binaries()?;
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "communique-pg-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let user = is_root().then_some("postgres");
        if let Some(user) = user {
            run(Command::new("chown").arg(user).arg(&dir))?;
        }
        let port = free_port()?;
        let cluster = Cluster {
            dir,
            bin,
            port,
            user,
        };
        run(cluster
            .tool("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(cluster.data()))?;
        cluster.resume()?;
        Ok(cluster)
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Stops the server at once, as an outage would: connections are cut.
    pub fn stop(&self) -> Result<(), String> {
        run(self
            .tool("pg_ctl")
            .args(["-m", "immediate", "-w", "stop", "-D"])
            .arg(self.data()))
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub fn resume(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50",
            self.port,
            self.dir.display()
        );
        run(self
            .tool("pg_ctl")
            .args(["-w", "-o", &options, "-l"])
            .arg(self.dir.join("log"))
            .arg("start")
            .arg("-D")
            .arg(self.data()))
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A command running PostgreSQL's `tool`, as the cluster's user.
    fn tool(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        match self.user {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(path);
                command
            }
            None => Command::new(path),
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The throwaway cluster the PostgreSQL half of the suite shares when
/// `TEST_DATABASE_URL` is not set; stopped by a watcher when this process exits.
pub fn shared() -> &'static Result<String, String> {
    static SHARED: OnceLock<Result<String, String>> = OnceLock::new();
    SHARED.get_or_init(|| {
        let cluster = Cluster::start()?;
        let url = cluster.url("postgres");
        // A static is never dropped: a shell waits for this process to end, then stops
        // the server and removes its folder.
        let watcher = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} -m immediate stop -D {data}; rm -rf {dir}",
            pid = std::process::id(),
            stop = match cluster.user {
                Some(user) => format!("runuser -u {user} -- {}", cluster.bin.join("pg_ctl").display()),
                None => cluster.bin.join("pg_ctl").display().to_string(),
            },
            data = cluster.data().display(),
            dir = cluster.dir.display(),
        );
        Command::new("sh")
            .args(["-c", &watcher])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the cluster's watcher: {e}"))?;
        std::mem::forget(cluster);
        Ok(url)
    })
}

/// PostgreSQL's programs: `PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`, else
/// `pg_config --bindir`.
fn binaries() -> Result<PathBuf, String> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file();
    if let Some(dir) = std::env::var_os("PG_BIN").map(PathBuf::from) {
        return if has_initdb(&dir) {
            Ok(dir)
        } else {
            Err(format!("PG_BIN={} has no initdb", dir.display()))
        };
    }
    let mut installed: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_initdb(dir))
        .collect();
    installed.sort();
    if let Some((_, dir)) = installed.pop() {
        return Ok(dir);
    }
    let from_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
    from_config.filter(|dir| has_initdb(dir)).ok_or_else(|| {
        "no PostgreSQL server programs (initdb, pg_ctl) were found: install them \
         (Debian: apt-get install postgresql; macOS: brew install postgresql) or set \
         PG_BIN to their folder, or set TEST_DATABASE_URL to a server tests may create \
         databases on"
            .to_owned()
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|e| e.to_string())
}

/// Runs `command`; its output is the error when it fails.
fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
