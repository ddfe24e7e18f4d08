//! executor-bench's tokio peer. One process runs one workload once to warm up and once
//! measured, and prints nanoseconds per operation on stdout; executor-bench (the driver)
//! starts it once per round, alternating with the Swift engines' processes.
//!
//! The workloads and sizes are executor-bench's (Sources/ExecutorWorkloads): a plain thread
//! starts the work on a multi-thread runtime with 2 workers and waits on a channel for the
//! last task to report, exactly as the Swift engines wait on a semaphore.
//!
//! Usage: tokio-peer --only NAME [--long] [--workers N]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;
use tokio::runtime::Handle;
use tokio::sync::Notify;

struct Sizes {
    spawn_many: usize,
    yield_tasks: usize,
    yields_per_task: usize,
    ping_pong_pairs: usize,
    ping_pong_rounds: usize,
    chain_length: usize,
}

const SHORT: Sizes = Sizes {
    spawn_many: 10_000,
    yield_tasks: 1_000,
    yields_per_task: 200,
    ping_pong_pairs: 100,
    ping_pong_rounds: 200,
    chain_length: 1_000,
};

const LONG: Sizes = Sizes {
    spawn_many: 100_000,
    yield_tasks: 1_000,
    yields_per_task: 1_000,
    ping_pong_pairs: 1_000,
    ping_pong_rounds: 1_000,
    chain_length: 10_000,
};

/// Counts down; the last arrival sends on `done`.
struct Countdown {
    remaining: AtomicUsize,
    done: mpsc::SyncSender<()>,
}

impl Countdown {
    fn new(count: usize, done: mpsc::SyncSender<()>) -> Arc<Countdown> {
        Arc::new(Countdown { remaining: AtomicUsize::new(count), done })
    }

    fn arrive(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.done.send(()).expect("the measuring thread waits");
        }
    }
}

fn spawn_many_local(handle: &Handle, sizes: &Sizes, done: mpsc::SyncSender<()>) {
    let count = sizes.spawn_many;
    handle.spawn(async move {
        let all = Arc::new(Notify::new());
        let remaining = Arc::new(AtomicUsize::new(count));
        for _ in 0..count {
            let all = all.clone();
            let remaining = remaining.clone();
            tokio::spawn(async move {
                if remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
                    all.notify_one();
                }
            });
        }
        all.notified().await;
        done.send(()).expect("the measuring thread waits");
    });
}

fn spawn_many_remote(handle: &Handle, sizes: &Sizes, done: mpsc::SyncSender<()>) {
    let latch = Countdown::new(sizes.spawn_many, done);
    for _ in 0..sizes.spawn_many {
        let latch = latch.clone();
        handle.spawn(async move { latch.arrive() });
    }
}

fn yield_many(handle: &Handle, sizes: &Sizes, done: mpsc::SyncSender<()>) {
    let latch = Countdown::new(sizes.yield_tasks, done);
    let yields = sizes.yields_per_task;
    for _ in 0..sizes.yield_tasks {
        let latch = latch.clone();
        handle.spawn(async move {
            for _ in 0..yields {
                tokio::task::yield_now().await;
            }
            latch.arrive();
        });
    }
}

fn ping_pong(handle: &Handle, sizes: &Sizes, done: mpsc::SyncSender<()>) {
    // Notify keeps one permit when nobody waits: the Swift engines' one-slot Mailbox.
    let latch = Countdown::new(sizes.ping_pong_pairs, done);
    let rounds = sizes.ping_pong_rounds;
    for _ in 0..sizes.ping_pong_pairs {
        let ping = Arc::new(Notify::new());
        let pong = Arc::new(Notify::new());
        let (ping2, pong2) = (ping.clone(), pong.clone());
        handle.spawn(async move {
            for _ in 0..rounds {
                ping2.notified().await;
                pong2.notify_one();
            }
        });
        let latch = latch.clone();
        handle.spawn(async move {
            for _ in 0..rounds {
                ping.notify_one();
                pong.notified().await;
            }
            latch.arrive();
        });
    }
}

fn chained_spawn(handle: &Handle, sizes: &Sizes, done: mpsc::SyncSender<()>) {
    fn link(remaining: usize, done: mpsc::SyncSender<()>) {
        tokio::spawn(async move {
            if remaining == 0 {
                done.send(()).expect("the measuring thread waits");
            } else {
                link(remaining - 1, done);
            }
        });
    }
    let length = sizes.chain_length;
    handle.spawn(async move { link(length, done) });
}

type Workload = fn(&Handle, &Sizes, mpsc::SyncSender<()>);

fn workload(name: &str, sizes: &Sizes) -> Option<(Workload, usize)> {
    Some(match name {
        "spawn_many_local" => (spawn_many_local as Workload, sizes.spawn_many),
        "spawn_many_remote" => (spawn_many_remote, sizes.spawn_many),
        "yield_many" => (yield_many, sizes.yield_tasks * sizes.yields_per_task),
        "ping_pong" => (ping_pong, sizes.ping_pong_pairs * sizes.ping_pong_rounds),
        "chained_spawn" => (chained_spawn, sizes.chain_length),
        _ => return None,
    })
}

/// Runs the workload once and returns elapsed nanoseconds.
fn measure(run: Workload, handle: &Handle, sizes: &Sizes) -> f64 {
    let (sender, receiver) = mpsc::sync_channel(1);
    let start = Instant::now();
    run(handle, sizes, sender);
    receiver.recv().expect("the last task reports");
    start.elapsed().as_nanos() as f64
}

fn usage() -> ! {
    eprintln!("usage: tokio-peer --only NAME [--long] [--workers N]");
    std::process::exit(2);
}

fn main() {
    let mut only: Option<String> = None;
    let mut sizes = &SHORT;
    let mut workers = 2;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--only" => only = Some(arguments.next().unwrap_or_else(|| usage())),
            "--long" => sizes = &LONG,
            "--workers" => {
                workers = arguments.next().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or_else(|| usage())
            }
            _ => usage(),
        }
    }
    let name = only.unwrap_or_else(|| usage());
    let (run, operations) = workload(&name, sizes).unwrap_or_else(|| usage());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .expect("a multi-thread runtime");
    let handle = runtime.handle().clone();
    measure(run, &handle, sizes);
    let nanoseconds = measure(run, &handle, sizes);
    println!("{:.1}", nanoseconds / operations as f64);
}
