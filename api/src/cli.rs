//! The subcommands of the one `tenohira` binary.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::App;
use crate::auth::{Caller, Permission};
use crate::config::Config;
use crate::staff::accounts;

#[derive(Parser)]
#[command(
    name = "tenohira",
    version,
    about = "手のひら県庁 — a prefecture's LINE Official Account platform"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve HTTP (GraphQL, webhook, health, metrics).
    Serve {
        /// Also run the background workers in this process (small installs, demo).
        #[arg(long)]
        with_workers: bool,
    },
    /// Run the background workers only.
    Worker,
    /// Apply pending database migrations.
    Migrate,
    /// Write the GraphQL schema contract(s).
    PrintSchema {
        /// Where to write the staff schema.
        #[arg(long, default_value = "schema.graphql")]
        out: PathBuf,
        /// Where to write the residents' (LIFF) schema.
        #[arg(long, default_value = "liff/schema.graphql")]
        liff_out: PathBuf,
    },
    /// Migrate, create a demo administrator and serve with workers (development only).
    Demo,
    /// Staff administration from a shell.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Key-encryption key operations.
    Kek {
        #[command(subcommand)]
        command: KekCommand,
    },
    /// Erasure by key destruction, with a certificate (JSON and printable HTML).
    Erase {
        #[command(subcommand)]
        command: EraseCommand,
    },
    /// Marks lapsed Papa-Mama cards and sends the lapse notice now (workers do it daily).
    CheckCardLapses,
}

#[derive(Subcommand)]
pub enum KekCommand {
    /// Re-wrap every data key with the current TENOHIRA_KEK (older KEKs in
    /// TENOHIRA_KEK_PREVIOUS); resumable, prints progress.
    Rotate,
    /// How many data keys each KEK wraps.
    Status,
    /// Create the local key file TENOHIRA_KEK names (`local:<file>`), once,
    /// for a new installation without a KMS; refuses to replace a file.
    CreateLocal,
    /// Create a symmetric key in the configured KMS and print its id.
    CreateKmsKey {
        #[arg(long, default_value = "tenohira key-encryption key")]
        description: String,
    },
}

#[derive(Subcommand)]
pub enum EraseCommand {
    /// Destroy one resident's data key and card data.
    Resident {
        #[arg(long)]
        line_user_id: String,
        /// Who carries out the erasure (name and post), for the certificate.
        #[arg(long)]
        operator: String,
        /// Where the certificate files go.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Destroy the current KEK: every data key it wraps becomes unreadable.
    Kek {
        #[arg(long)]
        operator: String,
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Required: this cannot be undone.
        #[arg(long)]
        yes_destroy_everything: bool,
    },
}

#[derive(Subcommand)]
pub enum StaffCommand {
    /// Create a staff account (e.g. the first administrator).
    Create {
        #[arg(long)]
        login_id: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Comma-separated permission names, or `all`.
        #[arg(long, default_value = "staff.manage,audit.read")]
        permissions: String,
        /// Read the password from this environment variable instead of generating one.
        #[arg(long)]
        password_env: Option<String>,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    crate::worker::install_erasure();
    if let Command::PrintSchema { out, liff_out } = &cli.command {
        std::fs::write(out, crate::graphql::sdl())?;
        if let Some(dir) = liff_out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(liff_out, crate::graphql::liff::sdl())?;
        eprintln!("wrote {} and {}", out.display(), liff_out.display());
        return Ok(());
    }
    let config = Config::from_env()?;
    crate::server::init_logging(&config);
    match cli.command {
        Command::PrintSchema { .. } => unreachable!("handled above"),
        Command::Migrate => {
            let app = App::connect(config).await?;
            let applied = crate::db::migrate(&app.db).await?;
            eprintln!(
                "migrations applied: {}",
                if applied.is_empty() {
                    "none pending".into()
                } else {
                    applied.join(", ")
                }
            );
        }
        Command::Serve { with_workers } => {
            let listen = config.listen;
            let app = App::connect(config).await?;
            if app.config.migrate_on_start {
                crate::db::migrate(&app.db).await?;
            }
            let listener = tokio::net::TcpListener::bind(listen).await?;
            tracing::info!(%listen, with_workers, "serving");
            crate::server::serve(
                app,
                listener,
                with_workers,
                crate::server::shutdown_signal(),
            )
            .await?;
        }
        Command::Worker => {
            let app = App::connect(config).await?;
            crate::worker::run(app, crate::server::shutdown_signal()).await;
        }
        Command::Demo => demo(config).await?,
        Command::Kek { command } => kek(config, command).await?,
        Command::Erase { command } => erase(config, command).await?,
        Command::CheckCardLapses => {
            let app = App::connect(config).await?;
            let told = crate::card::lapse::run(&app).await?;
            println!("lapse notices sent: {told}");
        }
        Command::Staff {
            command:
                StaffCommand::Create {
                    login_id,
                    display_name,
                    permissions,
                    password_env,
                },
        } => {
            let app = App::connect(config).await?;
            let password = match password_env {
                Some(var) => {
                    Some(std::env::var(&var).map_err(|_| anyhow::anyhow!("{var} is not set"))?)
                }
                None => None,
            };
            let created = create_staff(
                &app,
                &login_id,
                display_name.as_deref(),
                &permissions,
                password,
            )
            .await?;
            println!("created staff account {login_id}");
            if let Some(t) = created.temporary_password {
                println!("temporary password (change it at first sign-in): {t}");
            }
        }
    }
    Ok(())
}

async fn kek(config: Config, command: KekCommand) -> anyhow::Result<()> {
    if let KekCommand::CreateKmsKey { description } = &command {
        let kms = config.kms.as_ref().ok_or_else(|| {
            anyhow::anyhow!("set TENOHIRA_KMS_ACCESS_KEY_ID and TENOHIRA_KMS_SECRET_ACCESS_KEY")
        })?;
        let id = crate::crypto::kms::KmsClient::new(kms)?
            .create_key(description)
            .await?;
        println!("{id}");
        return Ok(());
    }
    if let KekCommand::CreateLocal = &command {
        let path = config.kek.strip_prefix("local:").ok_or_else(|| {
            anyhow::anyhow!("TENOHIRA_KEK must be `local:<file>` to create a local key file")
        })?;
        let kek = crate::crypto::kek::LocalKek::create(std::path::Path::new(path))?;
        use crate::crypto::kek::KekProvider;
        println!(
            "created {path} ({}); back it up apart from the database",
            kek.id()
        );
        return Ok(());
    }
    let app = App::connect(config).await?;
    match command {
        KekCommand::CreateKmsKey { .. } | KekCommand::CreateLocal => unreachable!("handled above"),
        KekCommand::Status => {
            for (kek, n) in crate::crypto::rotate::status(&app.db).await? {
                println!("{kek}\t{n}");
            }
        }
        KekCommand::Rotate => {
            let to = app.keyring.kek().current().id().to_string();
            eprintln!("re-wrapping data keys with {to}");
            let p = crate::crypto::rotate::rotate(&app.db, &app.keyring, |p| {
                eprintln!(
                    "rotation {}: {}/{} data keys re-wrapped",
                    p.rotation_id, p.done, p.total
                );
            })
            .await?;
            println!(
                "rotation {} finished: {} data keys now under {to}",
                p.rotation_id, p.done
            );
        }
    }
    Ok(())
}

async fn erase(config: Config, command: EraseCommand) -> anyhow::Result<()> {
    let app = App::connect(config).await?;
    let (cert, out) = match command {
        EraseCommand::Resident {
            line_user_id,
            operator,
            out,
        } => {
            let cert = crate::card::erasure::erase_resident(
                &app,
                &Caller::system(),
                &line_user_id,
                &operator,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            (cert, out)
        }
        EraseCommand::Kek {
            operator,
            out,
            yes_destroy_everything,
        } => {
            if !yes_destroy_everything {
                anyhow::bail!(
                    "destroying the KEK makes all personal data unreadable for good; add --yes-destroy-everything"
                );
            }
            (crate::card::erasure::erase_kek(&app, &operator).await?, out)
        }
    };
    let (json, html) = crate::card::erasure::write_files(&cert, &out)?;
    println!(
        "erasure certificate {}: {} {}",
        cert.id,
        json.display(),
        html.display()
    );
    Ok(())
}

async fn create_staff(
    app: &App,
    login_id: &str,
    display_name: Option<&str>,
    permissions: &str,
    password: Option<String>,
) -> anyhow::Result<accounts::Created> {
    let permissions: Vec<String> = if permissions.trim() == "all" {
        Permission::all().map(|p| p.name().to_string()).collect()
    } else {
        permissions
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    accounts::create(
        app,
        &Caller::system(),
        accounts::CreateInput {
            login_id: login_id.to_string(),
            display_name: display_name.unwrap_or(login_id).to_string(),
            team_id: None,
            permissions,
            preset: None,
            password,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
}

pub const DEMO_ADMIN: &str = "admin";
pub const DEMO_CARD_STAFF: &str = "kosodate-pii";
const DEMO_PASSWORD: &str = "Demo-Urawa-2026";

async fn demo(config: Config) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.is_development(),
        "demo runs only with TENOHIRA_ENV=development"
    );
    let listen = config.listen;
    let public = config.public_url.clone();
    let app = App::connect(config).await?;
    crate::db::migrate(&app.db).await?;
    // Managing staff decides who sees personal data: the administrator enrols TOTP at first sign-in.
    let perms = "staff.manage,audit.read,friends.read,segment.manage,delivery.create,delivery.send,delivery.approve,mailin.manage,chatbot.manage,survey.manage,richmenu.manage,pass.manage,card.settings";
    match create_staff(
        &app,
        DEMO_ADMIN,
        Some("デモ管理者"),
        perms,
        Some(DEMO_PASSWORD.into()),
    )
    .await
    {
        Ok(_) => {}
        Err(e) if e.to_string().contains("既に使われています") => {}
        Err(e) => return Err(e),
    }
    // Card holders' personal data needs a second factor: this account enrols TOTP at first sign-in.
    match create_staff(
        &app,
        DEMO_CARD_STAFF,
        Some("子育て支援課 担当"),
        "card.pii.read,card.pii.export,card.push,audit.read",
        Some(DEMO_PASSWORD.into()),
    )
    .await
    {
        Ok(_) => {}
        Err(e) if e.to_string().contains("既に使われています") => {}
        Err(e) => return Err(e),
    }
    if crate::card::demo::seed(&app).await? {
        println!("demo card image, barcode and Maitama pass created");
    }
    if crate::audience::demo::seed(&app).await? {
        println!(
            "demo attributes (Saitama's 63 municipalities, interests) and receive items created"
        );
    }
    if crate::chatbot::demo::seed(&app).await? {
        println!(
            "demo FAQ (661 entries; {}) and scenarios (ごみの出し方, 子育て支援の案内, 災害時の情報) created",
            crate::chatbot::demo::CREDIT
        );
    }
    match crate::richmenu::demo::seed(&app).await {
        Ok(true) => println!(
            "demo rich menus created: 提案A（タブあり, published as the default), 提案B（タブなし）, 災害時メニュー (published)"
        ),
        Ok(false) => match crate::richmenu::demo::republish_missing(&app).await {
            Ok(0) => {}
            Ok(n) => println!("{n} live rich menus published again to the fresh LINE sandbox"),
            Err(e) => println!("live rich menus not published again: {e:#}"),
        },
        Err(e) => println!("demo rich menus not created: {e:#}"),
    }
    match crate::mailin::demo::seed(&app).await {
        Ok(true) => println!(
            "demo mail rule created: 避難情報（市町村別） for mails from {}",
            crate::mailin::demo::DEMO_SENDER
        ),
        Ok(false) => {}
        Err(e) => println!("demo mail rule not created: {e:#}"),
    }
    match crate::survey::demo::seed(&app, DEMO_ADMIN).await {
        Ok(true) => println!(
            "demo surveys published: イベント参加申込, 満足度調査 (answerable in the chat too), 防災意識調査"
        ),
        Ok(false) => {}
        Err(e) => println!("demo surveys not created: {e:#}"),
    }
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!();
    let fake = app.config.line.api_base.clone();
    println!("  tenohira demo is running in the LINE sandbox (line-fake at {fake}; no real LINE)");
    println!("  staff console      : {public}/console/");
    println!(
        "  residents (LIFF)   : {public}/liff/   (sandbox login: pick a resident made by scripts/sandbox.sh follow)"
    );
    println!("  GraphQL + GraphiQL : {public}/graphql");
    println!("  health / readiness : {public}/healthz  {public}/readyz");
    println!("  metrics            : {public}/metrics");
    println!(
        "  administrator      : {DEMO_ADMIN} / {DEMO_PASSWORD}   (enrols TOTP at first sign-in; codes: scripts/sandbox.sh totp <secret>)"
    );
    println!(
        "  card personal data : {DEMO_CARD_STAFF} / {DEMO_PASSWORD}   (enrols TOTP at first sign-in; codes: scripts/sandbox.sh totp <secret>)"
    );
    println!("  Papa-Mama card     : {public}/liff/card   Maitama pass: {public}/liff/pass");
    println!(
        "  surveys            : {public}/console/surveys   residents answer at {public}/liff/survey?id=<id>, or in the chat (scripts/sandbox.sh tap USER survey:start:<id>)"
    );
    println!("  LINE webhook       : {public}/line/webhook");
    if let Some(smtp) = app.config.smtp_listen {
        println!(
            "  alert mails (SMTP) : {smtp}  to alerts+<TENOHIRA_MAILIN_TOKEN>@…   (a 川口市 evacuation alert: scripts/sandbox.sh alert)"
        );
    }
    println!("  residents' API     : {public}/liff/graphql (Authorization: Bearer <ID token>)");
    println!(
        "  play a resident    : scripts/sandbox.sh follow   (then: inbox, say, unfollow, token; phone prints the resident's LINE screen with the rich menu)"
    );
    println!();
    crate::server::serve(app, listener, true, crate::server::shutdown_signal()).await
}
