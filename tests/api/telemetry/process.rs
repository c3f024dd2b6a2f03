//! The `communique` binary as a child process, with its stderr collected, and plain
//! HTTP/1.1 requests to it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::root;

/// How long a server may take to migrate, load the seed and listen.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a server may take to stop after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `communique serve`; killed if dropped before [`Server::stop`].
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    /// The server's working folder: nothing should land there, and nothing stays.
    _work: tempfile::TempDir,
}

impl Server {
    /// Serves the database at `database_url` (seeding it when empty) on a free port, with
    /// `env` set and no logging or tracing variable of the test's own environment.
    pub fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_communique"));
        for (name, _) in std::env::vars_os() {
            let text = name.to_string_lossy();
            if text.starts_with("OTEL_")
                || text.starts_with("COMMUNIQUE_")
                || text == "RUST_LOG"
                || text == "NO_COLOR"
            {
                command.env_remove(&name);
            }
        }
        let work = tempfile::tempdir().expect("a temporary folder");
        command
            .current_dir(work.path())
            .env("DATABASE_URL", database_url)
            .env("COMMUNIQUE_ADDR", "127.0.0.1:0")
            .env("COMMUNIQUE_SEEDS", root().join("seeds"))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start the communique binary");
        let stderr = child.stderr.take().expect("the server's stderr");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (sender, receiver) = mpsc::channel();
        let collected = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                collected.lock().expect("lines").push(line.clone());
                let _ = sender.send(line);
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match receiver.recv_timeout(left) {
                Ok(line) => {
                    if let Some(addr) = listening_address(&line) {
                        break addr;
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "the server never said where it listens; its stderr:\n{}",
                        lines.lock().expect("lines").join("\n")
                    );
                }
            }
        };
        Self {
            child: Some(child),
            addr,
            lines,
            _work: work,
        }
    }

    /// Stops the server with SIGTERM, as a service manager would, waits for it to exit
    /// cleanly, and returns every line it wrote to stderr.
    pub async fn stop(mut self) -> Vec<String> {
        let mut child = self.child.take().expect("a running server");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + STOP_TIMEOUT;
        let exit = loop {
            if let Some(exit) = child.try_wait().expect("the server's status") {
                break exit;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the server did not stop within {STOP_TIMEOUT:?} of SIGTERM");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        // The reader thread has seen stderr close once the process is gone.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let lines = self.lines.lock().expect("lines").clone();
        assert!(
            exit.success(),
            "the server exited with {exit}:\n{}",
            lines.join("\n")
        );
        lines
    }

    /// Sends a GraphQL `query` named `operation` with extra `headers`.
    pub async fn graphql(&self, query: &str, operation: &str, headers: &[(&str, &str)]) -> Reply {
        let body = serde_json::json!({ "query": query, "operationName": operation }).to_string();
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.send("POST", "/graphql", &all, &body).await
    }

    /// Sends one HTTP/1.1 request on a connection of its own and reads the whole answer.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let mut stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect to the server");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
            self.addr,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream
            .write_all(request.as_bytes())
            .await
            .expect("send the request");
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .await
            .expect("read the answer");
        Reply::parse(&answer)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The address in the server's "GraphiQL on http://ADDR/ …" line.
fn listening_address(line: &str) -> Option<SocketAddr> {
    let rest = &line[line.find("http://")? + "http://".len()..];
    rest[..rest.find('/')?].parse().ok()
}

/// An HTTP answer.
pub struct Reply {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// Reads a whole HTTP/1.1 answer, head and body.
    pub fn parse(answer: &[u8]) -> Self {
        let end = answer
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .expect("a complete HTTP head");
        let head = String::from_utf8_lossy(&answer[..end]);
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .expect("a status line");
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let reply = Self {
            status,
            headers,
            body: answer[end + 4..].to_vec(),
        };
        assert!(
            reply.header("transfer-encoding").is_none(),
            "chunked answers are not decoded here"
        );
        reply
    }

    /// The header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}
