// shardcql benchmark peer: the seed's workload on the `scylla` crate (scylla-rust-driver), used the
// way its docs recommend for throughput: one shared Session, prepared statements, many tokio tasks.
// Prints exactly one JSON line on stdout; diagnostics go to stderr.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use hdrhistogram::Histogram;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::statement::prepared::PreparedStatement;

/// Counts allocations (not frees) so allocations per op can be reported like Go's Mallocs delta.
struct CountingAlloc;
static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.alloc_zeroed(l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.realloc(p, l, n)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const KEYSPACE_CQL: &str =
    "CREATE KEYSPACE IF NOT EXISTS benchks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}";
const TABLE_CQL: &str = "CREATE TABLE IF NOT EXISTS benchks.benchtab (pk bigint PRIMARY KEY, v1 bigint, v2 bigint)";
const INSERT_CQL: &str = "INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)";
const SELECT_CQL: &str = "SELECT pk, v1, v2 FROM benchks.benchtab WHERE pk = ?";

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Inserts,
    Selects,
    Mixed,
}

struct Args {
    host: String,
    port: u16,
    workload: String,
    ops: u64,
    concurrency: usize,
    create_schema: bool,
    warmup: Option<u64>,
    populate: bool,
    perf_ctl: Option<String>,
    perf_ack: Option<String>,
}

fn usage(msg: &str) -> ! {
    eprintln!("scylla-rust-peer: {msg}");
    eprintln!("usage: --host H --port P --workload inserts|selects|mixed --ops N --concurrency C [--create-schema] [--warmup N] [--populate] [--perf-ctl FIFO --perf-ack FIFO]");
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        host: "127.0.0.1".into(),
        port: 9042,
        workload: "inserts".into(),
        ops: 100_000,
        concurrency: 1,
        create_schema: false,
        warmup: None,
        populate: false,
        perf_ctl: None,
        perf_ack: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| usage(&format!("{k} needs a value")));
        match k.as_str() {
            "--host" => a.host = val(),
            "--port" => a.port = val().parse().unwrap_or_else(|_| usage("bad --port")),
            "--workload" => a.workload = val(),
            "--ops" => a.ops = val().parse().unwrap_or_else(|_| usage("bad --ops")),
            "--concurrency" => a.concurrency = val().parse().unwrap_or_else(|_| usage("bad --concurrency")),
            "--warmup" => a.warmup = Some(val().parse().unwrap_or_else(|_| usage("bad --warmup"))),
            "--perf-ctl" => a.perf_ctl = Some(val()),
            "--perf-ack" => a.perf_ack = Some(val()),
            "--create-schema" => a.create_schema = true,
            "--populate" => a.populate = true,
            _ => usage(&format!("unknown argument {k}")),
        }
    }
    if a.concurrency == 0 || a.ops == 0 {
        usage("--ops and --concurrency must be positive");
    }
    a
}

/// Our own CPU time (user + system, all threads) in µs.
fn cpu_us() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = s.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64;
    (pages * page / 1048576.0 * 10.0).round() / 10.0
}

/// perf stat --control: write a command to the control fifo and wait for the ack.
struct Perf {
    ctl: std::fs::File,
    ack: std::fs::File,
}

impl Perf {
    fn command(&mut self, c: &str) {
        self.ctl.write_all(format!("{c}\n").as_bytes()).expect("perf ctl write");
        let mut b = [0u8; 16];
        let _ = self.ack.read(&mut b);
    }
}

struct Shared {
    session: Session,
    insert: PreparedStatement,
    select: PreparedStatement,
    next: AtomicU64,
    end: u64,
    mode: Mode,
}

async fn one_op(s: &Shared, pk: i64) -> Result<(), String> {
    let is_insert = s.mode == Mode::Inserts || (s.mode == Mode::Mixed && pk & 1 == 0);
    if is_insert {
        s.session
            .execute_unpaged(&s.insert, (pk, 2 * pk, 3 * pk))
            .await
            .map_err(|e| format!("insert {pk}: {e}"))?;
    } else {
        let r = s
            .session
            .execute_unpaged(&s.select, (pk,))
            .await
            .map_err(|e| format!("select {pk}: {e}"))?
            .into_rows_result()
            .map_err(|e| format!("select {pk}: {e}"))?;
        let (k, v1, v2): (i64, i64, i64) = r.single_row().map_err(|e| format!("select {pk}: {e}"))?;
        if k != pk || v1 != 2 * pk || v2 != 3 * pk {
            return Err(format!("select of pk {pk} returned ({k}, {v1}, {v2}), expected ({pk}, {}, {})", 2 * pk, 3 * pk));
        }
    }
    Ok(())
}

async fn worker(s: Arc<Shared>, timed: bool) -> Result<Option<Histogram<u64>>, String> {
    let mut h = if timed { Some(Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap()) } else { None };
    loop {
        let pk = s.next.fetch_add(1, Ordering::Relaxed);
        if pk >= s.end {
            return Ok(h);
        }
        let t0 = Instant::now();
        one_op(&s, pk as i64).await?;
        if let Some(h) = h.as_mut() {
            h.saturating_record((t0.elapsed().as_nanos() as u64).clamp(1, 60_000_000_000));
        }
    }
}

/// Runs keys from..to with `concurrency` tasks; returns the merged latency histogram (ns) when timed.
async fn run_loops(
    session: Session,
    insert: PreparedStatement,
    select: PreparedStatement,
    mode: Mode,
    from: u64,
    to: u64,
    concurrency: usize,
    timed: bool,
) -> Result<(Session, PreparedStatement, PreparedStatement, Option<Histogram<u64>>), String> {
    let s = Arc::new(Shared { session, insert, select, next: AtomicU64::new(from), end: to, mode });
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        tasks.push(tokio::spawn(worker(s.clone(), timed)));
    }
    let mut total: Option<Histogram<u64>> = if timed { Some(Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap()) } else { None };
    for t in tasks {
        let h = t.await.map_err(|e| format!("task: {e}"))??;
        if let (Some(tot), Some(h)) = (total.as_mut(), h) {
            tot.add(h).map_err(|e| format!("histogram: {e:?}"))?;
        }
    }
    let s = Arc::try_unwrap(s).map_err(|_| "tasks still hold the session".to_string())?;
    Ok((s.session, s.insert, s.select, total))
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn r(v: f64, d: i32) -> f64 {
    let m = 10f64.powi(d);
    (v * m).round() / m
}

async fn run(a: Args) -> Result<String, String> {
    let mode = match a.workload.as_str() {
        "inserts" => Mode::Inserts,
        "selects" => Mode::Selects,
        "mixed" => Mode::Mixed,
        w => return Err(format!("unknown workload {w}")),
    };
    let mut perf = match (&a.perf_ctl, &a.perf_ack) {
        (Some(c), Some(k)) => Some(Perf {
            ctl: OpenOptions::new().write(true).open(c).map_err(|e| format!("perf ctl: {e}"))?,
            ack: OpenOptions::new().read(true).open(k).map_err(|e| format!("perf ack: {e}"))?,
        }),
        _ => None,
    };
    let session: Session = SessionBuilder::new()
        .known_node(format!("{}:{}", a.host, a.port))
        .build()
        .await
        .map_err(|e| format!("connect: {e}"))?;
    if a.create_schema {
        session.query_unpaged(KEYSPACE_CQL, &[]).await.map_err(|e| format!("create keyspace: {e}"))?;
        session.query_unpaged(TABLE_CQL, &[]).await.map_err(|e| format!("create table: {e}"))?;
        // The driver awaits schema agreement itself after a SCHEMA_CHANGE result (its default).
    }
    let insert = session.prepare(INSERT_CQL).await.map_err(|e| format!("prepare insert: {e}"))?;
    let select = session.prepare(SELECT_CQL).await.map_err(|e| format!("prepare select: {e}"))?;
    let (mut session, mut insert, mut select) = (session, insert, select);
    if a.populate && mode != Mode::Inserts {
        let c = a.concurrency.max(256);
        (session, insert, select, _) = run_loops(session, insert, select, Mode::Inserts, 0, a.ops, c, false).await?;
    }
    let warmup = a.warmup.unwrap_or_else(|| (a.ops.div_ceil(10)).min(20_000)).min(a.ops);
    if warmup > 0 {
        (session, insert, select, _) = run_loops(session, insert, select, mode, 0, warmup, a.concurrency, false).await?;
    }

    let rss_before = rss_mb();
    let allocs0 = ALLOCS.load(Ordering::Relaxed);
    let cpu0 = cpu_us();
    if let Some(p) = perf.as_mut() {
        p.command("enable");
    }
    let t0 = Instant::now();
    let (session, _, _, h) = run_loops(session, insert, select, mode, 0, a.ops, a.concurrency, true).await?;
    let elapsed = t0.elapsed().as_secs_f64();
    if let Some(p) = perf.as_mut() {
        p.command("disable");
    }
    let cpu1 = cpu_us();
    let allocs1 = ALLOCS.load(Ordering::Relaxed);
    let rss_after = rss_mb();
    drop(session);
    let h = h.expect("timed run has a histogram");
    let ops = a.ops as f64;
    let q = |p: f64| r(h.value_at_quantile(p) as f64 / 1000.0, 1);
    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    let notes = format!(
        "tokio multi-thread runtime, {workers} worker thread(s); {} tasks on one shared Session; default pool (1 connection per shard/host); execute_unpaged",
        a.concurrency
    );
    Ok(format!(
        "{{\"driver\":\"scylla-rust\",\"driverVersion\":{},\"workload\":{},\"concurrency\":{},\"ops\":{},\"opsPerSec\":{},\"p50Us\":{},\"p99Us\":{},\"p999Us\":{},\"cpuUsPerOp\":{},\"mainThreadCpuUsPerOp\":null,\"allocsPerOp\":{},\"gcPerMillionOps\":null,\"eventLoopDelayP99Us\":null,\"rssBeforeMb\":{},\"rssAfterMb\":{},\"notes\":{}}}",
        json_str(env!("SCYLLA_CRATE_VERSION")),
        json_str(&a.workload),
        a.concurrency,
        a.ops,
        (ops / elapsed).round(),
        q(0.5),
        q(0.99),
        q(0.999),
        r((cpu1 - cpu0) / ops, 3),
        r((allocs1 - allocs0) as f64 / ops, 2),
        rss_before,
        rss_after,
        json_str(&notes)
    ))
}

#[tokio::main]
async fn main() {
    let a = parse_args();
    match run(a).await {
        Ok(line) => {
            println!("{line}");
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("runner failed: {e}");
            std::process::exit(1);
        }
    }
}
