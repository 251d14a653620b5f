//! A TCP proxy between the sync client and the central service that injects a
//! fault per request, chosen by a seeded RNG: pass through, delay, drop the
//! connection before forwarding, cut the server's reply part-way, or reset. A
//! tripwire reports when a chosen request goes through (a push, a feed page), so
//! a test can kill the server or the client right then.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::UnboundedSender;

/// splitmix64: small, seedable, good enough to pick faults.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    /// Wait before forwarding the request.
    Delay(Duration),
    /// Close the connection instead of forwarding the request.
    Drop,
    /// Forward only this many bytes of the server's replies, then close.
    Cut(usize),
    /// Reset the client's connection (RST): at once, or once the server has
    /// started answering (the request was processed, the answer is lost).
    Reset {
        after_reply: bool,
    },
}

impl Fault {
    fn pick(rng: &mut Rng) -> Fault {
        match rng.below(100) {
            0..40 => Fault::Pass,
            40..55 => Fault::Delay(Duration::from_millis(1 + rng.below(60))),
            55..67 => Fault::Drop,
            // Log-uniform cut points: from inside the headers to deep into a page.
            67..85 => {
                let bits = 4 + rng.below(15);
                Fault::Cut(rng.below(1 << bits) as usize)
            }
            _ => Fault::Reset { after_reply: rng.chance(50) },
        }
    }
}

#[derive(Debug, Default)]
pub struct Stats {
    pub connections: AtomicU64,
    pub requests: AtomicU64,
    pub pass: AtomicU64,
    pub delay: AtomicU64,
    pub drop: AtomicU64,
    pub cut: AtomicU64,
    pub reset: AtomicU64,
    /// Connections the server refused (it was down).
    pub upstream_down: AtomicU64,
    pub trips: AtomicU64,
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        write!(
            f,
            "{} connections, {} requests: {} passed, {} delayed, {} dropped, {} cut, {} reset; \
             {} connections found the server down; {} trips",
            g(&self.connections),
            g(&self.requests),
            g(&self.pass),
            g(&self.delay),
            g(&self.drop),
            g(&self.cut),
            g(&self.reset),
            g(&self.upstream_down),
            g(&self.trips)
        )
    }
}

struct Shared {
    upstream: SocketAddr,
    seed: u64,
    faulty: AtomicBool,
    /// Requests still to drop before any other fault is picked.
    drop_next: AtomicU32,
    /// Request-line prefix and how many such requests to let by first.
    trip: Mutex<Option<(&'static [u8], u32)>>,
    tripped: Mutex<Option<UnboundedSender<()>>>,
    stats: Stats,
}

pub struct Proxy {
    pub base: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// A proxy to `upstream` on a free loopback port, passing everything through
    /// until [`Proxy::set_faulty`].
    pub async fn start(upstream: SocketAddr, seed: u64) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            upstream,
            seed,
            faulty: AtomicBool::new(false),
            drop_next: AtomicU32::new(0),
            trip: Mutex::new(None),
            tripped: Mutex::new(None),
            stats: Stats::default(),
        });
        let accepting = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let n = accepting.stats.connections.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(handle(accepting.clone(), client, n));
            }
        });
        Proxy { base, shared, task }
    }

    pub fn set_faulty(&self, on: bool) {
        self.shared.faulty.store(on, Ordering::SeqCst);
    }

    /// Drops the next `n` requests (closes their connections unanswered),
    /// whether or not the proxy is faulty.
    pub fn drop_next(&self, n: u32) {
        self.shared.drop_next.store(n, Ordering::SeqCst);
    }

    /// Where the tripwire reports (see [`Proxy::arm_trip`]).
    pub fn on_trip(&self, tripped: UnboundedSender<()>) {
        *self.shared.tripped.lock().unwrap() = Some(tripped);
    }

    /// Reports once, when the `skip + 1`-th request whose request line starts
    /// with `prefix` (e.g. `POST /v1/mutations`) is forwarded; `None` disarms.
    pub fn arm_trip(&self, trip: Option<(&'static [u8], u32)>) {
        *self.shared.trip.lock().unwrap() = trip;
    }

    pub fn stats(&self) -> &Stats {
        &self.shared.stats
    }
}

/// What the server-to-client direction does with the current request's reply.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Forward,
    /// Forward this many more bytes, then close.
    Budget(usize),
    /// Reset as soon as the reply starts.
    Reset,
}

/// How a connection ended, for closing the client's socket accordingly.
enum End {
    Closed,
    Reset,
}

async fn handle(shared: Arc<Shared>, client: TcpStream, n: u64) {
    // Faults depend only on the seed, the connection's number and the request's
    // place on it (clients keep connections alive, so faults are per request).
    let mut rng = Rng::new(shared.seed ^ n.wrapping_mul(0xd6e8_feb8_6659_fd93));
    let Ok(server) = TcpStream::connect(shared.upstream).await else {
        // The server is down: the client sees its connection closed.
        shared.stats.upstream_down.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let reply = Mutex::new(Reply::Forward);
    let up = async {
        let end = forward_requests(&shared, &mut rng, &reply, &mut client_read, &mut server_write).await;
        let _ = server_write.shutdown().await;
        match end {
            // A clean end of the requests: the connection ends with the replies.
            End::Closed => std::future::pending::<End>().await,
            End::Reset => End::Reset,
        }
    };
    let down = forward_replies(&reply, &mut server_read, &mut client_write);
    let end = tokio::select! {
        end = up => end,
        end = down => end,
    };
    // Whole again, the client's socket closes without a half-close first: a
    // reset is a bare RST, anything else a plain close.
    if let Ok(client) = client_read.reunite(client_write) {
        if matches!(end, End::Reset) {
            let _ = client.set_zero_linger();
        }
    }
}

/// Client to server: picks a fault at the start of each request and checks it
/// against the tripwire.
async fn forward_requests(
    shared: &Shared,
    rng: &mut Rng,
    reply: &Mutex<Reply>,
    from: &mut OwnedReadHalf,
    to: &mut OwnedWriteHalf,
) -> End {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return End::Closed,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        // Request heads arrive in one write; bodies never start with a method.
        if chunk.starts_with(b"GET ") || chunk.starts_with(b"POST ") {
            let dropping =
                shared.drop_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
            let fault = if dropping.is_ok() {
                Fault::Drop
            } else if shared.faulty.load(Ordering::SeqCst) {
                Fault::pick(rng)
            } else {
                Fault::Pass
            };
            let counter = match fault {
                Fault::Pass => &shared.stats.pass,
                Fault::Delay(_) => &shared.stats.delay,
                Fault::Drop => &shared.stats.drop,
                Fault::Cut(_) => &shared.stats.cut,
                Fault::Reset { .. } => &shared.stats.reset,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            shared.stats.requests.fetch_add(1, Ordering::Relaxed);
            *reply.lock().unwrap() = match fault {
                Fault::Drop => return End::Closed,
                Fault::Reset { after_reply: false } => return End::Reset,
                Fault::Reset { after_reply: true } => Reply::Reset,
                Fault::Cut(limit) => Reply::Budget(limit),
                Fault::Delay(d) => {
                    tokio::time::sleep(d).await;
                    Reply::Forward
                }
                Fault::Pass => Reply::Forward,
            };
            trip(shared, chunk);
        }
        if to.write_all(chunk).await.is_err() {
            return End::Closed;
        }
    }
}

fn trip(shared: &Shared, head: &[u8]) {
    let mut trip = shared.trip.lock().unwrap();
    let Some((prefix, skip)) = *trip else { return };
    if !head.starts_with(prefix) {
        return;
    }
    if skip > 0 {
        *trip = Some((prefix, skip - 1));
        return;
    }
    *trip = None;
    if let Some(tripped) = shared.tripped.lock().unwrap().as_ref() {
        shared.stats.trips.fetch_add(1, Ordering::Relaxed);
        let _ = tripped.send(());
    }
}

/// Server to client, as the current request's fault says.
async fn forward_replies(reply: &Mutex<Reply>, from: &mut OwnedReadHalf, to: &mut OwnedWriteHalf) -> End {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return End::Closed;
            }
            Ok(n) => n,
        };
        let mode = *reply.lock().unwrap();
        let pass = match mode {
            Reply::Forward => n,
            Reply::Budget(left) => n.min(left),
            Reply::Reset => return End::Reset,
        };
        if to.write_all(&buf[..pass]).await.is_err() {
            return End::Closed;
        }
        if let Reply::Budget(left) = mode {
            if pass == left {
                return End::Closed;
            }
            *reply.lock().unwrap() = Reply::Budget(left - pass);
        }
    }
}
