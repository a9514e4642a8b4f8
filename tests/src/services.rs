//! Outside services a test may need of its own: a private Redis (to flush or
//! stop without touching other tests) and moto (S3 and KMS APIs).

use std::time::Duration;

/// A Redis server of this test's own, so FLUSHALL touches nobody else.
pub struct PrivateRedis {
    pub url: String,
    port: u16,
    child: tokio::process::Child,
}

impl PrivateRedis {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (url, child) = Self::spawn(port).await;
        Self { url, port, child }
    }

    /// Starts it again on the same port, empty (as after a failover).
    pub async fn restart_empty(&mut self) {
        let _ = self.child.kill().await;
        let (_, child) = Self::spawn(self.port).await;
        self.child = child;
    }

    async fn spawn(port: u16) -> (String, tokio::process::Child) {
        let child = tokio::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server");
        let url = format!("redis://127.0.0.1:{port}");
        for _ in 0..100 {
            if let Ok(c) = redis::Client::open(url.as_str())
                && c.get_multiplexed_async_connection().await.is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (url, child)
    }

    /// Stops the server (as an outage would).
    pub async fn stop(&mut self) {
        let _ = self.child.kill().await;
    }

    pub async fn flushall(&self) {
        let c = redis::Client::open(self.url.as_str()).unwrap();
        let mut conn = c.get_multiplexed_async_connection().await.unwrap();
        let _: () = redis::cmd("FLUSHALL").query_async(&mut conn).await.unwrap();
    }
}

/// moto (installed by `make test`): an S3- and KMS-compatible server of this test's own.
pub struct MotoServer {
    pub endpoint: String,
    _child: tokio::process::Child,
}

impl MotoServer {
    pub async fn start() -> Self {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let bin = std::env::var("MOTO_SERVER")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| root.join("target/moto-venv/bin/moto_server"));
        assert!(
            bin.exists(),
            "{} is missing: `make test` installs moto (an S3-compatible server) for this test",
            bin.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("moto_server");
        let endpoint = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            if reqwest::get(&endpoint).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            endpoint,
            _child: child,
        }
    }
}
