//! `trustdesk-central`: serve, manage users, seed demo data, import reviews.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use trustdesk_api::Role;
use trustdesk_central::{auth, db, import, ingest, seed, statements, Config, Db};
use trustdesk_domain::ShopId;

#[derive(Parser)]
#[command(name = "trustdesk-central", version, about = "Trustdesk's central service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Storage {
    /// sqlite://PATH or postgres://USER@HOST/DB; default: SQLite in the data directory.
    #[arg(long, env = "TRUSTDESK_DATABASE_URL")]
    database_url: Option<String>,
    /// Where the embedded database and evidence files live.
    #[arg(long, env = "TRUSTDESK_DATA_DIR", default_value = "trustdesk-central-data")]
    data_dir: PathBuf,
}

impl Storage {
    async fn open(&self) -> anyhow::Result<Db> {
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating the data directory {}", self.data_dir.display()))?;
        let url = match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.data_dir.join("central.db").display()),
        };
        Db::connect(&url).await
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API. The first line on stdout is `listening on http://ADDR`.
    Serve {
        #[command(flatten)]
        storage: Storage,
        /// Address to listen on; port 0 picks a free one.
        #[arg(long, default_value = "127.0.0.1:8480")]
        listen: String,
        #[command(flatten)]
        fairness: FairnessArgs,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Fill the database with deterministic demo data.
    Seed {
        #[command(flatten)]
        storage: Storage,
        #[arg(long, default_value_t = 50)]
        shops: usize,
        #[arg(long, default_value_t = 2000)]
        reviews: usize,
        #[arg(long, default_value_t = 30)]
        audits: usize,
        #[arg(long, default_value_t = 30)]
        disputes: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Also seed a team's recent decisions and second opinions (for the dashboards).
        #[arg(long)]
        history: bool,
    },
    /// Import reviews from another platform; they are labelled imported.
    Import {
        #[command(flatten)]
        storage: Storage,
        #[arg(long, value_enum)]
        format: ImportFormat,
        /// The shop the reviews belong to.
        #[arg(long)]
        shop: ShopId,
        file: PathBuf,
    },
    /// Publish a data pack (statement templates or the checklist, TOML) after its
    /// check; workstations fetch it with their next sync.
    PublishPack {
        #[command(flatten)]
        storage: Storage,
        /// statement_templates, checklist or arm_rules.
        #[arg(long)]
        kind: trustdesk_api::PackKind,
        /// The pack's TOML file; its `version` must be new. For arm_rules, a
        /// bundle file, or a folder of rule packs (`<lang>/<category>.toml`)
        /// bundled under --set-version.
        file: PathBuf,
        /// The version of a folder of rule packs published as one set.
        #[arg(long)]
        set_version: Option<String>,
    },
    /// Write statements of reasons as JSON lines for the DSA Transparency Database
    /// (one DsaSorRecord per line, decided from --since to --until, UTC days,
    /// both inclusive). A line outside the schema stops the export with an error.
    ExportSor {
        #[command(flatten)]
        storage: Storage,
        /// First day, YYYY-MM-DD.
        #[arg(long, value_parser = date)]
        since: NaiveDate,
        /// Last day, YYYY-MM-DD (inclusive); default: up to now.
        #[arg(long, value_parser = date)]
        until: Option<NaiveDate>,
    },
}

/// Second-opinion sampling and the bias guard.
#[derive(Args, Clone)]
struct FairnessArgs {
    /// Share of each moderator's publish/reject decisions sent blind to a second moderator.
    #[arg(long, env = "TRUSTDESK_SECOND_OPINION_SHARE", default_value_t = 0.03, value_parser = share)]
    second_opinion_share: f64,
    /// The bias guard warns below this one-sided p-value.
    #[arg(long, default_value_t = 0.01, value_parser = share)]
    bias_alpha: f64,
    /// Decided reviews needed in each star group (1-2 and 4-5) before the guard judges.
    #[arg(long, default_value_t = 50)]
    bias_min_group: u32,
    /// The guard's sliding window in days.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    bias_window_days: u32,
}

fn share(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| (0.0..=1.0).contains(v))
        .ok_or_else(|| format!("{s:?} is not a number from 0 to 1"))
}

fn date(s: &str) -> Result<NaiveDate, String> {
    statements::parse_date("the date", s)
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints only the new token (shown once, only its hash is kept).
    Add {
        #[command(flatten)]
        storage: Storage,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: Role,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ImportFormat {
    Csv,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs go to stderr: stdout carries what scripts capture (address, token).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve { storage, listen, fairness } => {
            let db = storage.open().await?;
            let (listener, addr) =
                trustdesk_central::bind(&listen).await.with_context(|| format!("listening on {listen}"))?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on http://{addr}")?;
            out.flush()?;
            drop(out);
            tracing::info!(database = db.backend.name(), "serving");
            let mut config = Config::new(absolute(&storage.data_dir));
            config.fairness = trustdesk_central::fairness::FairnessConfig {
                sample_share: fairness.second_opinion_share,
                bias: trustdesk_domain::fairness::BiasConfig {
                    alpha: fairness.bias_alpha,
                    min_per_group: fairness.bias_min_group,
                },
                window_days: fairness.bias_window_days,
            };
            tokio::select! {
                r = trustdesk_central::serve(listener, db, config) => r?,
                _ = tokio::signal::ctrl_c() => tracing::info!("stopping"),
            }
        }
        Command::User { command: UserCommand::Add { storage, name, role } } => {
            let db = storage.open().await?;
            let token = auth::add_user(&db, &name, role).await?;
            println!("{token}");
        }
        Command::Seed { storage, shops, reviews, audits, disputes, seed, history } => {
            let db = storage.open().await?;
            let opts = seed::SeedOptions { shops, reviews, audits, disputes, seed };
            let n = seed::seed(&db, &absolute(&storage.data_dir), opts, db::now()).await?;
            eprintln!("seeded {n} entities");
            if history {
                let scanner = ingest::EngineScanner::builtin()?;
                let h = trustdesk_central::history::history(&db, seed, &scanner).await?;
                eprintln!(
                    "seeded {} decisions, {} second opinions, {} samples open",
                    h.decisions, h.second_opinions, h.open_samples
                );
            }
        }
        Command::Import { storage, format: ImportFormat::Csv, shop, file } => {
            let db = storage.open().await?;
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            // The rule packs in force, as for ingestion over HTTP.
            let n = match trustdesk_central::packs::published_rules(&mut *db.read.acquire().await?).await? {
                Some(published) => import::import_csv(&db, shop, &text, published.as_ref()).await?,
                None => import::import_csv(&db, shop, &text, &ingest::EngineScanner::builtin()?).await?,
            };
            eprintln!("imported {n} reviews");
        }
        Command::PublishPack { storage, kind, file, set_version } => {
            let source = if file.is_dir() {
                anyhow::ensure!(
                    kind == trustdesk_api::PackKind::ArmRules,
                    "only arm_rules is published from a folder"
                );
                let version = set_version
                    .ok_or_else(|| anyhow::anyhow!("a folder of rule packs needs --set-version"))?;
                let texts = trustdesk_filters::RulePacks::read_dir(&file)?;
                trustdesk_filters::RulePacks::bundle(
                    &version,
                    texts.iter().map(|(n, t)| (n.as_str(), t.as_str())),
                )?
            } else {
                std::fs::read_to_string(&file)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
            };
            let db = storage.open().await?;
            let pack = trustdesk_central::packs::store(&db, kind, source)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            println!("published {} version {}", kind.as_str(), pack.version);
        }
        Command::ExportSor { storage, since, until } => {
            anyhow::ensure!(until.is_none_or(|u| u >= since), "--until is before --since");
            let db = storage.open().await?;
            let mut q = statements::ExportQuery { since, until, after: 0, limit: 500 };
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut n = 0usize;
            loop {
                let page = statements::export_page(&db.read, &q).await?;
                for r in &page.records {
                    serde_json::to_writer(&mut out, r)?;
                    out.write_all(b"\n")?;
                }
                n += page.records.len();
                match page.last {
                    Some(last) if page.has_more => q.after = last,
                    _ => break,
                }
            }
            out.flush()?;
            eprintln!("exported {n} statements");
        }
    }
    Ok(())
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned())
}
