//! `trustdesk`: the workstation without a window, for scripting, support and
//! independent verification. Every command takes the app's own code paths
//! (`trustdesk_sync::workstation`) on the app's store file.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use serde::Serialize;
use trustdesk_domain::{RejectionReason, ReviewAction, ReviewId};
use trustdesk_store::Store;
use trustdesk_sync::workstation::{self, TOKEN_ENV};
use trustdesk_sync::{ClientOptions, SyncError};

/// File name of the local store inside the data directory (as the app names it).
const STORE_FILE: &str = "trustdesk.db";

#[derive(Parser)]
#[command(name = "trustdesk", version, about = "Trustdesk workstation, headless")]
struct Cli {
    /// The workstation's data directory (the app's, or any other).
    #[arg(long, env = "TRUSTDESK_DATA_DIR")]
    data_dir: PathBuf,
    /// Extra trusted CA certificate (PEM) for a self-hosted server.
    #[arg(long, env = trustdesk_sync::CA_FILE_ENV)]
    ca_file: Option<PathBuf>,
    /// Feed items asked for per page (smaller pages for slow links); the
    /// server's largest, 5,000, by default.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=5000))]
    page_size: Option<u32>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign in: the token is read from stdin (or TRUSTDESK_TOKEN) and kept in the
    /// OS keyring unless TRUSTDESK_TOKEN is set.
    SignIn {
        #[arg(long)]
        server: String,
    },
    /// Remove the token from the keyring and forget the session.
    SignOut,
    /// One full push + pull, then exit.
    Sync,
    /// Counts, pending decisions, conflicts, last sync, cursor.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// The pending queue as the app lists it, oldest first.
    Queue {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Record a decision exactly as the app does (synced by the next `sync`).
    Decide {
        review_id: String,
        #[command(subcommand)]
        action: DecideAction,
    },
}

#[derive(Subcommand)]
enum DecideAction {
    Publish,
    Reject {
        /// Reason code, e.g. insult, personal_data, spam_duplicate.
        #[arg(long)]
        reason: String,
    },
    RequestEvidence {
        #[arg(long)]
        message: String,
        /// Last day for the evidence (YYYY-MM-DD).
        #[arg(long)]
        deadline: NaiveDate,
    },
    AcceptEvidence,
    RefuseEvidence,
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    code: &'a str,
    message: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,sqlx=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One JSON line on stderr: a script branches on `code`.
            let out = ErrorOut { code: e.code(), message: e.to_string() };
            eprintln!("{}", serde_json::to_string(&out).unwrap_or_else(|_| e.to_string()));
            ExitCode::from(match e {
                SyncError::Offline(_) => 3,
                SyncError::Unauthorized | SyncError::SignedOut => 4,
                _ => 1,
            })
        }
    }
}

fn env_token() -> Option<String> {
    std::env::var(TOKEN_ENV).ok().filter(|t| !t.trim().is_empty()).map(|t| t.trim().to_owned())
}

fn print_json<T: Serialize>(v: &T) -> Result<(), SyncError> {
    let s = serde_json::to_string_pretty(v).map_err(|e| SyncError::Protocol(e.to_string()))?;
    println!("{s}");
    Ok(())
}

async fn run(cli: Cli) -> Result<(), SyncError> {
    let store = Store::open(&cli.data_dir.join(STORE_FILE)).await?;
    let options =
        ClientOptions { ca_file: cli.ca_file, page_size: cli.page_size, ..ClientOptions::default() };
    let result = command(&store, &options, cli.command).await;
    store.close().await;
    result
}

async fn command(store: &Store, options: &ClientOptions, command: Command) -> Result<(), SyncError> {
    match command {
        Command::SignIn { server } => {
            let (token, keep) = match env_token() {
                Some(t) => (t, false),
                None => {
                    let mut t = String::new();
                    std::io::stdin()
                        .read_to_string(&mut t)
                        .map_err(|e| SyncError::Refused(format!("cannot read the token from stdin: {e}")))?;
                    (t.trim().to_owned(), true)
                }
            };
            if token.is_empty() {
                return Err(SyncError::Refused("no token given on stdin".into()));
            }
            let s = workstation::sign_in(store, &server, &token, options, keep).await?;
            println!("signed in to {} as {} ({})", s.server, s.user_name, s.role);
        }
        Command::SignOut => {
            workstation::sign_out(store).await?;
            println!("signed out");
        }
        Command::Sync => {
            let client = workstation::connect(store, env_token(), options).await?;
            let r = workstation::sync_once(store, &client).await?;
            println!(
                "pushed: {} applied, {} duplicate, {} conflict, {} refused; pulled {} changes; scanned {}",
                r.pushed.applied,
                r.pushed.duplicates,
                r.pushed.conflicts,
                r.pushed.rejected,
                r.pulled.items,
                r.scanned
            );
        }
        Command::Status { json } => {
            let s = workstation::status(store).await?;
            if json {
                print_json(&s)?;
            } else {
                println!("server:   {}", s.server.as_deref().unwrap_or("(signed out)"));
                println!("user:     {}", s.user.as_deref().unwrap_or("-"));
                for (state, n) in &s.reviews_by_status {
                    println!("{state:<18}{n}");
                }
                println!("pending decisions: {}", s.pending_decisions);
                println!("conflicts:         {}", s.conflicts);
                println!("last sync:         {}", s.last_sync.map_or("never".into(), |t| t.to_rfc3339()));
            }
        }
        Command::Queue { json, limit } => {
            let items = workstation::queue(store, limit.min(trustdesk_store::MAX_PAGE)).await?;
            if json {
                print_json(&items)?;
            } else {
                for i in items {
                    let first_line: String = i.text.chars().take(60).filter(|c| !c.is_control()).collect();
                    println!("{}  {}*  {}  {} hits  {}", i.id, i.stars, i.language, i.hits.len(), first_line);
                }
            }
        }
        Command::Decide { review_id, action } => {
            let id: ReviewId = review_id
                .parse()
                .map_err(|_| SyncError::Refused(format!("{review_id:?} is not a review id")))?;
            let (action, message) = match action {
                DecideAction::Publish => (ReviewAction::Publish, None),
                DecideAction::Reject { reason } => {
                    let reason: RejectionReason =
                        serde_json::from_value(serde_json::Value::String(reason.clone())).map_err(|_| {
                            SyncError::Refused(format!("{reason:?} is not a rejection reason"))
                        })?;
                    (ReviewAction::Reject { reason }, None)
                }
                DecideAction::RequestEvidence { message, deadline } => (
                    ReviewAction::RequestEvidence { deadline: workstation::deadline_end_of(deadline) },
                    Some(message),
                ),
                DecideAction::AcceptEvidence => (ReviewAction::AcceptEvidence, None),
                DecideAction::RefuseEvidence => (ReviewAction::RefuseEvidence, None),
            };
            let by = workstation::decider(store).await?;
            let d = workstation::decide(
                store,
                workstation::moderator_decision(id, action, None, message, None, by)?,
            )
            .await?;
            println!("{}", d.id);
        }
    }
    Ok(())
}
