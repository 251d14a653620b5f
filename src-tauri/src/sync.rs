//! Sign-in and sync with the central service. The token lives in the OS keyring
//! (crates/sync); the session (server, user) in the local store. Without a
//! session the app works on its local store alone.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use tokio::sync::{Mutex, RwLock};
use trustdesk_store::Store;
use trustdesk_sync::backoff::Backoff;
use trustdesk_sync::workstation;
use trustdesk_sync::{Client, ClientOptions, SyncError};
use ts_rs::TS;

use crate::scan::{spawn_background_scan, QUEUE_CHANGED};
use crate::state::Opened;
use crate::IpcError;

/// How long after a decision the loop waits for more before syncing.
const DEBOUNCE: Duration = Duration::from_secs(2);
/// Event carrying the new [`SyncStatus`] whenever it changes.
pub const SYNC_STATUS: &str = "sync-status";

impl From<SyncError> for IpcError {
    fn from(e: SyncError) -> Self {
        IpcError::new(e.code(), e.to_string())
    }
}

/// What the status bar shows.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct SyncStatus {
    pub signed_in: bool,
    pub server: Option<String>,
    pub user: Option<String>,
    pub role: Option<String>,
    /// `None` until the first attempt; false after a failed connection.
    pub online: Option<bool>,
    /// `idle` or `syncing`.
    pub phase: String,
    pub last_success: Option<DateTime<Utc>>,
    /// Code of the last failure (`offline`, `unauthorized`, ...), cleared on success.
    pub last_error: Option<String>,
    pub pending_decisions: u32,
    /// Decisions the server answered with a conflict or refusal, not yet resolved.
    pub conflicts: u32,
    /// What the last sync moved.
    pub pulled: u32,
    pub pushed: u32,
    /// While pulling: items pulled so far and of about how many (the feed's
    /// upper bound); `None` outside a pull.
    #[ts(type = "number | null")]
    pub pull_done: Option<u64>,
    #[ts(type = "number | null")]
    pub pull_total: Option<u64>,
    /// Seconds until the next automatic retry after a failure.
    pub retry_in_seconds: Option<u32>,
}

/// Sign-in as the UI sees it (first-run screen).
#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionInfo {
    pub signed_in: bool,
    pub server: Option<String>,
    pub user: Option<String>,
    pub role: Option<String>,
    /// Whether the local store holds reviews to work on without a server.
    pub has_local_data: bool,
}

pub struct SyncState {
    client: RwLock<Option<Client>>,
    options: ClientOptions,
    /// Poked after each local decision; the loop syncs shortly after.
    decided: tokio::sync::Notify,
    status: Mutex<SyncStatus>,
    /// One sync at a time.
    running: Mutex<()>,
}

fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl SyncState {
    /// Restores the signed-in session: the token from the keyring. A keyring
    /// failure leaves the app signed out with the reason in the status.
    pub async fn restore(store: &Store) -> Arc<SyncState> {
        let options = ClientOptions::from_env();
        let mut status = SyncStatus { phase: "idle".into(), ..SyncStatus::default() };
        let client = match workstation::connect(store, None, &options).await {
            Ok(c) => Some(c),
            Err(SyncError::SignedOut) => None,
            Err(e) => {
                tracing::error!(code = e.code(), "cannot restore the session: {e}");
                status.last_error = Some(e.code().to_owned());
                None
            }
        };
        let state = Arc::new(SyncState {
            client: RwLock::new(client),
            options,
            decided: tokio::sync::Notify::new(),
            status: Mutex::new(status),
            running: Mutex::new(()),
        });
        state.refresh_counts(store).await;
        state
    }

    /// For a store that could not be opened: never signed in.
    pub fn detached() -> Arc<SyncState> {
        Arc::new(SyncState {
            client: RwLock::new(None),
            options: ClientOptions::default(),
            decided: tokio::sync::Notify::new(),
            status: Mutex::new(SyncStatus { phase: "idle".into(), ..SyncStatus::default() }),
            running: Mutex::new(()),
        })
    }

    /// A decision was recorded: sync soon (debounced by the loop).
    /// The signed-in client (held for the call), for commands that need the server.
    pub async fn client(&self) -> tokio::sync::RwLockReadGuard<'_, Option<Client>> {
        self.client.read().await
    }

    pub fn poke(&self) {
        self.decided.notify_one();
    }

    async fn refresh_counts(&self, store: &Store) {
        let session = store.session().await.ok().flatten();
        let pending = store.pending_count().await.map_or(0, count);
        let conflicts = store.unresolved_count().await.map_or(0, count);
        let signed_in = self.client.read().await.is_some();
        let mut s = self.status.lock().await;
        s.signed_in = signed_in;
        s.server = session.as_ref().map(|x| x.server.clone());
        s.user = session.as_ref().map(|x| x.user_name.clone());
        s.role = session.as_ref().map(|x| x.role.clone());
        s.last_success = s.last_success.or(session.and_then(|x| x.last_sync_at));
        s.pending_decisions = pending;
        s.conflicts = conflicts;
    }

    async fn publish(&self, app: &AppHandle) -> SyncStatus {
        let s = self.status.lock().await.clone();
        let _ = app.emit(SYNC_STATUS, &s);
        s
    }

    /// Push then pull; rescans new texts and tells the UI. Errors are kept in the
    /// status (and returned); the outbox keeps everything for the next attempt.
    pub async fn run(&self, app: &AppHandle, store: &Store) -> Result<SyncStatus, IpcError> {
        let _one = self.running.lock().await;
        let client = self.client.read().await;
        let Some(client) = client.as_ref() else {
            self.refresh_counts(store).await;
            return Ok(self.publish(app).await);
        };
        self.status.lock().await.phase = "syncing".into();
        self.publish(app).await;
        // The pull's progress goes to the UI as it happens, from this task.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sync = client.sync_with_progress(store, Some(&tx));
        tokio::pin!(sync);
        let result = loop {
            tokio::select! {
                r = &mut sync => break r,
                Some((done, total)) = rx.recv() => {
                    {
                        let mut s = self.status.lock().await;
                        s.pull_done = Some(done);
                        s.pull_total = Some(total.max(done));
                    }
                    self.publish(app).await;
                }
            }
        };
        if result.is_ok() {
            let _ = store.record_sync(Utc::now()).await;
        }
        {
            let mut status = self.status.lock().await;
            status.phase = "idle".into();
            status.pull_done = None;
            status.pull_total = None;
            match &result {
                Ok((pushed, pulled)) => {
                    status.online = Some(true);
                    status.last_success = Some(Utc::now());
                    status.last_error = None;
                    status.retry_in_seconds = None;
                    status.pulled = u32::try_from(pulled.items).unwrap_or(u32::MAX);
                    status.pushed = pushed.applied + pushed.duplicates;
                }
                Err(e) => {
                    status.online = Some(!matches!(e, SyncError::Offline(_)));
                    status.last_error = Some(e.code().to_owned());
                }
            }
        }
        self.refresh_counts(store).await;
        let status = self.publish(app).await;
        match result {
            Ok((pushed, pulled)) => {
                tracing::info!(
                    applied = pushed.applied,
                    conflicts = pushed.conflicts,
                    pulled = pulled.items,
                    "synced"
                );
                if pulled.items > 0 || pushed.applied > 0 || pushed.conflicts > 0 || pushed.rejected > 0 {
                    spawn_background_scan(app.clone(), store.clone());
                    let _ = app.emit(QUEUE_CHANGED, pulled.items);
                }
                Ok(status)
            }
            Err(e) => {
                tracing::warn!(code = e.code(), "sync failed: {e}");
                Err(e.into())
            }
        }
    }
}

/// Syncs at start, then every `period`, shortly after decisions (a burst within
/// the debounce window goes out in one sync), and after a failure with
/// exponential backoff and jitter, so coming back online is noticed quickly.
pub fn spawn_loop(app: AppHandle, store: Store, sync: Arc<SyncState>, period: Duration) {
    tauri::async_runtime::spawn(async move {
        let mut backoff = Backoff::new(Duration::from_secs(2), period);
        loop {
            let wait = match sync.run(&app, &store).await {
                Ok(_) => {
                    backoff.succeeded();
                    period
                }
                Err(_) => {
                    let d = backoff.failed();
                    sync.status.lock().await.retry_in_seconds = Some(d.as_secs() as u32);
                    sync.publish(&app).await;
                    d
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = sync.decided.notified() => tokio::time::sleep(DEBOUNCE).await,
            }
        }
    });
}

/// Demos sign the app in unattended: with `TRUSTDESK_SERVER` and
/// `TRUSTDESK_TOKEN` set, the app signs in at start as if they were typed into
/// the sign-in screen (the token goes to the keyring, as always).
pub async fn sign_in_from_env(store: &Store) {
    let (Ok(server), Ok(token)) = (std::env::var("TRUSTDESK_SERVER"), std::env::var("TRUSTDESK_TOKEN"))
    else {
        return;
    };
    if let Err(e) = workstation::sign_in(store, &server, &token, &ClientOptions::from_env(), true).await {
        tracing::error!(code = e.code(), "sign-in from the environment failed: {e}");
    }
}

fn store<'a>(opened: &'a State<'_, Opened>) -> Result<&'a Store, IpcError> {
    opened.inner().as_ref().map(|s| &s.store).map_err(Clone::clone)
}

#[tauri::command]
pub async fn sync_now(
    app: AppHandle,
    opened: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
) -> Result<SyncStatus, IpcError> {
    sync.run(&app, store(&opened)?).await
}

#[tauri::command]
pub async fn sync_status(sync: State<'_, Arc<SyncState>>) -> Result<SyncStatus, IpcError> {
    Ok(sync.status.lock().await.clone())
}

#[tauri::command]
pub async fn session_info(
    opened: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
) -> Result<SessionInfo, IpcError> {
    let store = store(&opened)?;
    let session = store.session().await?;
    Ok(SessionInfo {
        signed_in: sync.client.read().await.is_some(),
        server: session.as_ref().map(|s| s.server.clone()),
        user: session.as_ref().map(|s| s.user_name.clone()),
        role: session.map(|s| s.role),
        has_local_data: store.review_count().await? > 0,
    })
}

/// Checks the token with the server, keeps it in the OS keyring, then syncs.
#[tauri::command]
pub async fn sign_in(
    app: AppHandle,
    opened: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
    server: String,
    token: String,
) -> Result<SyncStatus, IpcError> {
    let store = store(&opened)?;
    let token = token.trim();
    let session = workstation::sign_in(store, &server, token, &sync.options, true).await?;
    // The token just stored in the keyring is in hand: no need to read it back.
    let client = Client::with_options(&session.server, token, &sync.options)?;
    *sync.client.write().await = Some(client);
    tracing::info!(server = %session.server, "signed in from the window");
    sync.status.lock().await.last_error = None;
    sync.poke();
    sync.refresh_counts(store).await;
    Ok(sync.publish(&app).await)
}

/// Removes the token from the keyring; local data and unsent decisions stay.
#[tauri::command]
pub async fn sign_out(
    app: AppHandle,
    opened: State<'_, Opened>,
    sync: State<'_, Arc<SyncState>>,
) -> Result<SyncStatus, IpcError> {
    let store = store(&opened)?;
    let _one = sync.running.lock().await;
    workstation::sign_out(store).await?;
    *sync.client.write().await = None;
    {
        let mut s = sync.status.lock().await;
        *s = SyncStatus { phase: "idle".into(), ..SyncStatus::default() };
    }
    sync.refresh_counts(store).await;
    Ok(sync.publish(&app).await)
}
