//! Test harness: each test gets its own PostgreSQL database (cloned from a
//! migrated template), its own Redis key prefix and its own tenohira server
//! on a free port, spoken to over real HTTP. Everything is removed on drop.

pub mod services;
pub mod smtp;

use std::collections::HashMap;
use std::sync::Arc;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};
use tenohira::app::App;
use tenohira::auth::{Caller, Permission};
use tenohira::config::Config;
use tokio::sync::{OnceCell, watch};

pub fn pg_base() -> String {
    std::env::var("TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

pub const PASSWORD: &str = "Kawaguchi-River-77";

/// The migrated template database, created once per migration set.
async fn template() -> anyhow::Result<&'static str> {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_try_init(|| async {
            let name = format!("tenohira_tpl_{}", migrations_fingerprint());
            let mut admin =
                AsyncPgConnection::establish(&format!("{}/postgres", pg_base())).await?;
            // Test binaries run in parallel: one builds the template, the others wait.
            diesel::sql_query("SELECT pg_advisory_lock(7355608)")
                .execute(&mut admin)
                .await?;
            let result = async {
                if !database_exists(&mut admin, &name).await? {
                    let build = format!("{name}_build");
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS {build} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await?;
                    diesel::sql_query(format!("CREATE DATABASE {build}"))
                        .execute(&mut admin)
                        .await?;
                    let pool = tenohira::db::pool(
                        &format!("{}/{build}", pg_base()),
                        1,
                        std::time::Duration::from_secs(10),
                    )?;
                    tenohira::db::migrate(&pool).await?;
                    pool.close();
                    drop(pool);
                    diesel::sql_query(format!("ALTER DATABASE {build} RENAME TO {name}"))
                        .execute(&mut admin)
                        .await?;
                    // Templates of older migration sets are no longer needed.
                    #[derive(diesel::QueryableByName)]
                    struct Db {
                        #[diesel(sql_type = diesel::sql_types::Text)]
                        datname: String,
                    }
                    let stale: Vec<Db> = diesel::sql_query(
                        "SELECT datname::text AS datname FROM pg_database WHERE datname LIKE 'tenohira\\_tpl\\_%' AND datname <> $1",
                    )
                    .bind::<diesel::sql_types::Text, _>(&name)
                    .load(&mut admin)
                    .await?;
                    for db in stale {
                        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", db.datname))
                            .execute(&mut admin)
                            .await;
                    }
                }
                anyhow::Ok(())
            }
            .await;
            diesel::sql_query("SELECT pg_advisory_unlock(7355608)")
                .execute(&mut admin)
                .await?;
            result?;
            Ok(name)
        })
        .await
        .map(String::as_str)
}

fn migrations_fingerprint() -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");
    let mut entries: Vec<_> = walk(std::path::Path::new(dir));
    entries.sort();
    for path in entries {
        path.to_string_lossy().hash(&mut h);
        std::fs::read(&path).unwrap_or_default().hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> anyhow::Result<bool> {
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let r: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(conn)
            .await?;
    Ok(r.exists)
}

/// A workspace binary next to this test executable (built on demand).
fn workspace_binary(
    name: &str,
    package: &str,
    built: &'static std::sync::Once,
) -> std::path::PathBuf {
    // Tests live in target/<profile>/deps/, the bench binary in target/<profile>/.
    let exe = std::env::current_exe().expect("test executable");
    let here = exe.parent().expect("executable dir").to_path_buf();
    let parent = here.parent().unwrap_or(&here).to_path_buf();
    let bin = if here.join(name).exists() {
        here.join(name)
    } else {
        parent.join(name)
    };
    built.call_once(|| {
        if !bin.exists() {
            let status = std::process::Command::new(env!("CARGO"))
                .args(["build", "-p", package])
                .status()
                .expect("cargo build");
            assert!(status.success(), "building {package} failed");
        }
    });
    bin
}

fn line_fake_binary() -> std::path::PathBuf {
    static BUILT: std::sync::Once = std::sync::Once::new();
    workspace_binary("line-fake", "line-fake", &BUILT)
}

/// The `tenohira` binary, for tests that run a worker as its own process.
pub fn tenohira_binary() -> std::path::PathBuf {
    static BUILT: std::sync::Once = std::sync::Once::new();
    workspace_binary("tenohira", "tenohira", &BUILT)
}

/// What Prometheus presents to the main listener's `/metrics` in tests.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789";

pub const CHANNEL_TOKEN: &str = "test-channel-access-token";
pub const CHANNEL_SECRET: &str = "test-channel-secret";
pub const LOGIN_CHANNEL_ID: &str = "1650000042";

/// A running line-fake process (LINE's stand-in) and a client for its control API.
pub struct LineFake {
    pub base: String,
    http: reqwest::Client,
    _child: tokio::process::Child,
}

impl LineFake {
    pub async fn spawn() -> Self {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new(line_fake_binary())
            .args([
                "--listen",
                "127.0.0.1:0",
                "--channel-access-token",
                CHANNEL_TOKEN,
                "--channel-secret",
                CHANNEL_SECRET,
                "--login-channel-id",
                LOGIN_CHANNEL_ID,
            ])
            // Benchmarks give it millions of users looked up at random: with
            // transparent huge pages for its large allocations (glibc ≥ 2.35;
            // ignored elsewhere) those lookups stall on the TLB far less, and
            // LINE's stand-in takes less of the CPU the pipeline is measured on.
            .env("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start line-fake");
        let stdout = child.stdout.take().unwrap();
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = lines
            .next_line()
            .await
            .unwrap()
            .expect("line-fake prints its address");
        let base = first.rsplit(' ').next().unwrap().to_string();
        Self {
            base,
            http: reqwest::Client::new(),
            _child: child,
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("line-fake");
        r.json().await.unwrap_or(Value::Null)
    }

    pub async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("line-fake")
            .json()
            .await
            .unwrap_or(Value::Null)
    }

    /// A new simulated LINE user (not yet a friend unless `following`).
    pub async fn user(&self, following: bool) -> String {
        self.post("/_fake/users", json!({ "following": following }))
            .await["userId"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn inbox(&self, user: &str) -> Vec<Value> {
        self.get(&format!("/_fake/users/{user}/inbox")).await["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub async fn id_token(&self, request: Value) -> String {
        self.post("/_fake/id-token", request).await["idToken"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// A running tenohira with its own database and Redis prefix.
pub struct TestApp {
    pub fake: LineFake,
    pub app: App,
    pub base: String,
    pub db_name: String,
    pub redis_prefix: String,
    /// The environment the app was configured with (for worker processes).
    pub env: HashMap<String, String>,
    shutdown: watch::Sender<bool>,
}

#[derive(Default)]
pub struct Options {
    pub env: Vec<(&'static str, String)>,
    pub with_workers: bool,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(Options::default()).await
    }

    pub async fn spawn_with(options: Options) -> Self {
        let template = template().await.expect("template database");
        let id = uuid::Uuid::new_v4().simple().to_string();
        let db_name = format!("tenohira_test_{id}");
        let mut admin = AsyncPgConnection::establish(&format!("{}/postgres", pg_base()))
            .await
            .expect("PostgreSQL at TEST_PG_URL");
        let mut tries = 0;
        loop {
            match diesel::sql_query(format!("CREATE DATABASE {db_name} TEMPLATE {template}"))
                .execute(&mut admin)
                .await
            {
                Ok(_) => break,
                // Another test may be cloning the same template this instant.
                Err(e) if tries < 20 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(100 * tries)).await;
                }
                Err(e) => panic!("creating {db_name}: {e}"),
            }
        }
        let redis_prefix = format!("test:{id}:");
        let fake = LineFake::spawn().await;
        let mut env: HashMap<String, String> = [
            ("DATABASE_URL", format!("{}/{db_name}", pg_base())),
            ("REDIS_URL", redis_url()),
            (
                "TENOHIRA_SESSION_SECRET",
                "test-session-secret-0123456789-abcdef".to_string(),
            ),
            ("TENOHIRA_REDIS_PREFIX", redis_prefix.clone()),
            (
                "TENOHIRA_MEDIA_DIR",
                std::env::temp_dir()
                    .join(format!("tenohira-media-{id}"))
                    .display()
                    .to_string(),
            ),
            (
                "TENOHIRA_KEK",
                format!(
                    "local:{}",
                    std::env::temp_dir()
                        .join(format!("tenohira-kek-{id}.key"))
                        .display()
                ),
            ),
            ("TENOHIRA_DB_POOL_SIZE", "4".to_string()),
            ("TENOHIRA_METRICS_TOKEN", METRICS_TOKEN.to_string()),
            ("TENOHIRA_LOG", "warn".to_string()),
            ("TENOHIRA_LOG_FORMAT", "pretty".to_string()),
            ("TENOHIRA_LINE_API_BASE", fake.base.clone()),
            ("TENOHIRA_LINE_DATA_API_BASE", fake.base.clone()),
            (
                "TENOHIRA_LINE_JWKS_URL",
                format!("{}/oauth2/v2.1/certs", fake.base),
            ),
            (
                "TENOHIRA_LINE_CHANNEL_ACCESS_TOKEN",
                CHANNEL_TOKEN.to_string(),
            ),
            ("TENOHIRA_LINE_CHANNEL_SECRET", CHANNEL_SECRET.to_string()),
            (
                "TENOHIRA_LINE_LOGIN_CHANNEL_ID",
                LOGIN_CHANNEL_ID.to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (k, v) in options.env {
            env.insert(k.to_string(), v);
        }
        // As an operator would before the first start (production refuses a missing key file).
        if let Some(path) = env["TENOHIRA_KEK"].strip_prefix("local:")
            && !std::path::Path::new(path).exists()
        {
            tenohira::crypto::kek::LocalKek::create(std::path::Path::new(path)).expect("test KEK");
        }
        let config = Config::from_map(&env).expect("test configuration");
        let app_env = env.clone();
        let app = App::connect(config).await.expect("connect app");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = watch::channel(false);
        tokio::spawn(tenohira::server::serve(
            app.clone(),
            listener,
            options.with_workers,
            rx,
        ));
        fake.post(
            "/_fake/config",
            json!({ "webhookUrl": format!("{base}/line/webhook") }),
        )
        .await;
        Self {
            fake,
            app,
            base,
            db_name,
            redis_prefix,
            env: app_env,
            shutdown: tx,
        }
    }

    /// A `tenohira worker` process with this app's configuration (killed on drop).
    pub fn spawn_worker(&self, extra: &[(&str, &str)]) -> tokio::process::Child {
        self.spawn_role(&["worker"], extra)
    }

    /// A `tenohira <args>` process (serve, worker) with this app's configuration.
    pub fn spawn_role(&self, args: &[&str], extra: &[(&str, &str)]) -> tokio::process::Child {
        let mut cmd = tokio::process::Command::new(tenohira_binary());
        cmd.args(args)
            .env_clear()
            .envs(&self.env)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.spawn().expect("start tenohira worker")
    }

    /// A separate `tenohira serve` process (a second replica, or the API under
    /// benchmark) on a free port, ready when this returns; with its base URL.
    pub async fn spawn_api(&self, extra: &[(&str, &str)]) -> (tokio::process::Child, String) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen = format!("127.0.0.1:{port}");
        let mut env = vec![("TENOHIRA_LISTEN", listen.as_str())];
        env.extend_from_slice(extra);
        let child = self.spawn_role(&["serve"], &env);
        let base = format!("http://{listen}");
        self.eventually(60, "the API process to be ready", || async {
            reqwest::get(format!("{base}/readyz"))
                .await
                .is_ok_and(|r| r.status() == 200)
        })
        .await;
        (child, base)
    }

    /// `n` following friends known to both line-fake and tenohira (written
    /// straight into PostgreSQL, as a long-running account would have them).
    /// Returns their LINE user ids in friend-id order.
    pub async fn bulk_friends(&self, n: u64) -> Vec<String> {
        use diesel_async::RunQueryDsl;
        let prefix = (uuid::Uuid::new_v4().as_u128() as u32) & 0x7fff_ffff;
        self.fake
            .post("/_fake/users/bulk", json!({ "prefix": prefix, "count": n }))
            .await;
        let mut c = self.db().await;
        diesel::sql_query(format!(
            "INSERT INTO friends (line_user_id, status, first_followed_at, followed_at, status_event_at) \
             SELECT 'U' || lpad(to_hex({prefix}), 8, '0') || lpad(to_hex(g), 24, '0'), 'following', now(), now(), now() \
             FROM generate_series(0, {}) g ORDER BY g",
            n as i64 - 1
        ))
        .execute(&mut c)
        .await
        .expect("bulk friends");
        drop(c);
        // The audience index follows the change log a moment behind: wait for it.
        tenohira::audience::index(&self.app)
            .ensure_loaded(&self.app.db)
            .await
            .expect("audience index");
        let following: i64 = self.count("friends WHERE status = 'following'").await;
        self.eventually(20, "the audience index to see the new friends", || async {
            tenohira::audience::index(&self.app).following().len() as i64 == following
        })
        .await;
        (0..n).map(|g| format!("U{prefix:08x}{g:024x}")).collect()
    }

    /// POSTs a GraphQL request to the residents' endpoint with an ID token.
    pub async fn liff(&self, id_token: Option<&str>, query: &str) -> Value {
        self.liff_vars(id_token, query, json!({})).await
    }

    pub async fn liff_vars(&self, id_token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = reqwest::Client::new()
            .post(format!("{}/liff/graphql", self.base))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = id_token {
            req = req.bearer_auth(t);
        }
        req.send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON")
    }

    /// The `/metrics` text, as Prometheus scrapes it (with the token).
    pub async fn metrics(&self) -> String {
        reqwest::Client::new()
            .get(format!("{}/metrics", self.base))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text")
    }

    /// Waits until `check` holds (polling), or panics after `secs` seconds.
    pub async fn eventually<F, Fut>(&self, secs: u64, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        while std::time::Instant::now() < deadline {
            if check().await {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}");
    }

    pub fn session(&self) -> Session {
        Session::new(&self.base)
    }

    /// A resident sends a text through line-fake (a signed webhook); returns
    /// the next request the bot made to them (reply or push).
    pub async fn say(&self, user: &str, text: &str) -> Value {
        self.to_bot(user, "message", json!({ "text": text })).await
    }

    /// A resident taps a postback (a quick reply, a rich menu area).
    pub async fn tap(&self, user: &str, data: &str) -> Value {
        self.to_bot(user, "postback", json!({ "data": data })).await
    }

    async fn to_bot(&self, user: &str, kind: &str, body: Value) -> Value {
        let before = self.fake.inbox(user).await.len();
        self.fake
            .post(&format!("/_fake/users/{user}/{kind}"), body)
            .await;
        self.eventually(10, "the bot's reply", || async {
            self.fake.inbox(user).await.len() > before
        })
        .await;
        self.fake
            .inbox(user)
            .await
            .get(before)
            .cloned()
            .unwrap_or_default()
    }

    /// Creates a staff account directly through the service layer.
    pub async fn create_staff(&self, login_id: &str, permissions: &[Permission]) -> uuid::Uuid {
        let created = tenohira::staff::accounts::create(
            &self.app,
            &Caller::system(),
            tenohira::staff::accounts::CreateInput {
                login_id: login_id.into(),
                display_name: format!("{login_id} さん"),
                team_id: None,
                permissions: permissions.iter().map(|p| p.name().to_string()).collect(),
                preset: None,
                password: Some(PASSWORD.into()),
            },
        )
        .await
        .expect("create staff");
        created.account.id
    }

    /// A signed-in session for a new account holding `permissions` (TOTP
    /// enrolled and verified when a permission needs the second factor).
    pub async fn signed_in(&self, login_id: &str, permissions: &[Permission]) -> Session {
        self.create_staff(login_id, permissions).await;
        let mut s = self.session();
        let r = s.login(login_id, PASSWORD).await;
        let stage = r["data"]["login"]["stage"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if stage == "TOTP_ENROLMENT_REQUIRED" {
            s.enrol_totp().await;
        } else {
            assert_eq!(stage, "SIGNED_IN", "{r}");
        }
        s
    }

    pub async fn db(&self) -> tenohira::db::DbConn {
        self.app.db.get().await.expect("db connection")
    }

    /// Row count of a table (tests compare counts before and after).
    pub async fn count(&self, table: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut c = self.db().await;
        let r: N = diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .get_result(&mut c)
            .await
            .expect("count");
        r.n
    }

    /// Audit actions recorded so far, oldest first.
    pub async fn audit_actions(&self) -> Vec<(String, String)> {
        #[derive(diesel::QueryableByName)]
        struct A {
            #[diesel(sql_type = diesel::sql_types::Text)]
            action: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            result: String,
        }
        let mut c = self.db().await;
        diesel::sql_query("SELECT action, result FROM audit_log ORDER BY id")
            .load::<A>(&mut c)
            .await
            .expect("audit")
            .into_iter()
            .map(|a| (a.action, a.result))
            .collect()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(dir) = self.env.get("TENOHIRA_MEDIA_DIR") {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(path) = self
            .env
            .get("TENOHIRA_KEK")
            .and_then(|k| k.strip_prefix("local:"))
        {
            let _ = std::fs::remove_file(path);
        }
        let db = self.db_name.clone();
        let prefix = self.redis_prefix.clone();
        // Async clean-up cannot run in Drop: use a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                if let Ok(mut admin) =
                    AsyncPgConnection::establish(&format!("{}/postgres", pg_base())).await
                {
                    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
                if let Ok(client) = redis::Client::open(redis_url())
                    && let Ok(mut c) = client.get_multiplexed_async_connection().await
                {
                    let keys: Vec<String> = redis::cmd("KEYS")
                        .arg(format!("{prefix}*"))
                        .query_async(&mut c)
                        .await
                        .unwrap_or_default();
                    if !keys.is_empty() {
                        let _: Result<(), _> =
                            redis::cmd("DEL").arg(keys).query_async(&mut c).await;
                    }
                }
            });
        })
        .join();
    }
}

/// One browser-like client: keeps its session cookie, or presents a bearer token.
#[derive(Clone)]
pub struct Session {
    pub base: String,
    pub http: reqwest::Client,
    pub cookie: Arc<std::sync::Mutex<Option<String>>>,
    pub bearer: Option<String>,
}

impl Session {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_string(),
            http: reqwest::Client::new(),
            cookie: Arc::new(std::sync::Mutex::new(None)),
            bearer: None,
        }
    }

    pub fn with_bearer(base: &str, token: &str) -> Self {
        Self {
            bearer: Some(token.to_string()),
            ..Self::new(base)
        }
    }

    pub fn cookie(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }

    /// POSTs a GraphQL request as the console does and returns the JSON body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let res = self.post_raw(query, variables).await;
        res.json().await.expect("JSON body")
    }

    pub async fn post_raw(&self, query: &str, variables: Value) -> reqwest::Response {
        let mut req = self
            .http
            .post(format!("{}/graphql", self.base))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(c) = self.cookie() {
            req = req.header("cookie", format!("tenohira_session={c}"));
        }
        if let Some(b) = &self.bearer {
            req = req.bearer_auth(b);
        }
        let res = req.send().await.expect("request");
        for v in res.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap_or_default();
            if let Some(rest) = v.strip_prefix("tenohira_session=") {
                let value = rest.split(';').next().unwrap_or_default();
                *self.cookie.lock().unwrap() = (!value.is_empty()).then(|| value.to_string());
            }
        }
        res
    }

    /// A GET outside GraphQL (a CSV export) with this session's credentials.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = self.cookie() {
            req = req.header("cookie", format!("tenohira_session={c}"));
        }
        if let Some(b) = &self.bearer {
            req = req.bearer_auth(b);
        }
        req.send().await.expect("request")
    }

    pub async fn login(&mut self, login_id: &str, password: &str) -> Value {
        self.gql(
            "mutation($i: LoginInput!) { login(input: $i) { stage viewer { account { loginId } secondFactor } } }",
            json!({ "i": { "loginId": login_id, "password": password } }),
        )
        .await
    }

    /// Enrols a TOTP authenticator and returns its secret.
    pub async fn enrol_totp(&mut self) -> String {
        let r = self
            .gql(
                "mutation { beginTotpEnrolment { secret otpauthUri } }",
                json!({}),
            )
            .await;
        let secret = r["data"]["beginTotpEnrolment"]["secret"]
            .as_str()
            .expect("secret")
            .to_string();
        let code = tenohira::auth::totp::current_code(&secret).unwrap();
        let r = self
            .gql(
                "mutation($c: String!) { confirmTotpEnrolment(code: $c) { stage } }",
                json!({ "c": code }),
            )
            .await;
        assert_eq!(
            r["data"]["confirmTotpEnrolment"]["stage"], "SIGNED_IN",
            "{r}"
        );
        secret
    }
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(v: &Value) -> Option<String> {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_string)
}

/// Panics with the response when it carries errors.
pub fn data(v: &Value) -> &Value {
    assert!(v.get("errors").is_none(), "unexpected errors: {v}");
    &v["data"]
}

/// A PNG whose header claims `width` × `height` while its pixel data is a
/// stub (an empty deflate stream): what a decompression bomb looks like to a
/// decoder that trusts the header.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for b in bytes {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let ihdr = [
        &width.to_be_bytes()[..],
        &height.to_be_bytes(),
        &[8, 2, 0, 0, 0],
    ]
    .concat();
    let idat = b"\x78\x9c\x03\x00\x00\x00\x00\x01".to_vec();
    for (kind, data) in [
        (&b"IHDR"[..], ihdr),
        (&b"IDAT"[..], idat),
        (&b"IEND"[..], vec![]),
    ] {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let chunk = [kind, &data].concat();
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    out
}

/// The records of a CSV export (BOM and header row included as row 0).
pub fn csv_records(body: &str) -> Vec<Vec<String>> {
    assert!(
        body.starts_with('\u{feff}'),
        "CSV for Excel starts with a BOM"
    );
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| {
            r.expect("well-formed CSV")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// Panics when a cell of the CSV would start a formula in Excel.
pub fn assert_no_formula(records: &[Vec<String>]) {
    for (line, r) in records.iter().enumerate() {
        for cell in r {
            let first = cell.trim_start_matches([' ', '\u{3000}']).chars().next();
            assert!(
                !first.is_some_and(|c| "=+-@\t\r\n＝＋－＠".contains(c)),
                "row {line} holds a cell Excel would run: {cell:?}"
            );
        }
    }
}

/// `SELECT count(*) AS n …` in a test.
#[derive(diesel::QueryableByName)]
pub struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n: i64,
}

/// The postback data of the quick reply labelled `label` in a reply (panics when absent).
pub fn quick_reply(reply: &Value, label: &str) -> String {
    reply["messages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| {
            m["quickReply"]["items"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .find(|i| i["action"]["label"] == label)
        .unwrap_or_else(|| panic!("no quick reply {label} in {reply}"))["action"]["data"]
        .as_str()
        .unwrap()
        .to_string()
}
