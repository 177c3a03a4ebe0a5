"""shardcql benchmark peer: the seed's workload on ScyllaDB's Python driver (PyPI scylla-driver,
the shard-aware fork of cassandra-driver), used the way its docs recommend for throughput:
prepared statements, Session.execute_async with callbacks, and at most C requests in flight
(C callback chains, each issuing its next request when the previous one completes).
Prints exactly one JSON line on stdout."""

import argparse
import gc
import itertools
import json
import os
import resource
import sys
import threading
import time

KEYSPACE_CQL = ("CREATE KEYSPACE IF NOT EXISTS benchks WITH replication = "
                "{'class': 'SimpleStrategy', 'replication_factor': 1}")
TABLE_CQL = "CREATE TABLE IF NOT EXISTS benchks.benchtab (pk bigint PRIMARY KEY, v1 bigint, v2 bigint)"
INSERT_CQL = "INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)"
SELECT_CQL = "SELECT pk, v1, v2 FROM benchks.benchtab WHERE pk = ?"


def fail(msg):
    sys.stderr.write("runner failed: %s\n" % msg)
    sys.stderr.flush()
    os._exit(1)


def cpu_us():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (r.ru_utime + r.ru_stime) * 1e6


def rss_mb():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return round(pages * os.sysconf("SC_PAGESIZE") / 1048576, 1)



class Loops:
    """C callback chains sharing one key counter; records latencies (ns) when timed."""

    def __init__(self, session, insert, select, mode, start, end, concurrency, timed):
        self.session, self.insert, self.select, self.mode = session, insert, select, mode
        self.keys = itertools.count(start)  # next() is atomic under the GIL
        self.end = end
        self.lat = [] if timed else None
        self.active = concurrency
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.error = None
        for _ in range(concurrency):
            self.next_op()

    def next_op(self):
        pk = next(self.keys)
        if pk >= self.end or self.error is not None:
            with self.lock:
                self.active -= 1
                if self.active == 0:
                    self.done.set()
            return
        is_insert = self.mode == "inserts" or (self.mode == "mixed" and pk & 1 == 0)
        t0 = time.perf_counter_ns()
        if is_insert:
            f = self.session.execute_async(self.insert, (pk, 2 * pk, 3 * pk))
        else:
            f = self.session.execute_async(self.select, (pk,))
        f.add_callbacks(self.on_ok, self.on_err, callback_args=(pk, t0, is_insert), errback_args=(pk,))

    def on_ok(self, rows, pk, t0, is_insert):
        if not is_insert:
            row = rows[0] if rows else None
            if row is None or row[0] != pk or row[1] != 2 * pk or row[2] != 3 * pk:
                self.error = "select of pk %d returned %r, expected (%d, %d, %d)" % (pk, row, pk, 2 * pk, 3 * pk)
        if self.lat is not None:
            self.lat.append(time.perf_counter_ns() - t0)
        self.next_op()

    def on_err(self, exc, pk):
        self.error = "pk %d: %r" % (pk, exc)
        self.next_op()

    def wait(self):
        self.done.wait()
        if self.error is not None:
            fail(self.error)
        return self.lat


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9042)
    p.add_argument("--workload", choices=["inserts", "selects", "mixed"], default="inserts")
    p.add_argument("--ops", type=int, default=100000)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--create-schema", action="store_true")
    p.add_argument("--warmup", type=int, default=-1)
    p.add_argument("--populate", action="store_true")
    p.add_argument("--perf-ctl")
    p.add_argument("--perf-ack")
    a = p.parse_args()
    if a.ops <= 0 or a.concurrency <= 0:
        fail("--ops and --concurrency must be positive")
    warmup = min(a.ops, min(20000, -(-a.ops // 10)) if a.warmup < 0 else a.warmup)

    import cassandra
    from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
    from cassandra.policies import TokenAwarePolicy, RoundRobinPolicy
    from cassandra import ConsistencyLevel

    perf = None
    if a.perf_ctl and a.perf_ack:
        perf = (open(a.perf_ctl, "w"), open(a.perf_ack, "rb", buffering=0))

    def perf_cmd(c):
        if perf:
            perf[0].write(c + "\n")
            perf[0].flush()
            perf[1].read(16)

    profile = ExecutionProfile(load_balancing_policy=TokenAwarePolicy(RoundRobinPolicy()),
                               consistency_level=ConsistencyLevel.ONE, request_timeout=None)
    # compression=False: the driver otherwise picks LZ4 by itself whenever the server offers it (and the
    # lz4 package is installed); the rows are for an uncompressed protocol, like every other peer's.
    cluster = Cluster([a.host], port=a.port, execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                      compression=False)
    try:
        session = cluster.connect()
    except Exception as e:  # noqa: BLE001 - report any connect failure
        fail("connect: %r" % e)
    if a.create_schema:
        session.execute(KEYSPACE_CQL)
        session.execute(TABLE_CQL)
    insert = session.prepare(INSERT_CQL)
    select = session.prepare(SELECT_CQL)

    if a.populate and a.workload != "inserts":
        Loops(session, insert, select, "inserts", 0, a.ops, max(a.concurrency, 256), False).wait()
    if warmup > 0:
        Loops(session, insert, select, a.workload, 0, warmup, a.concurrency, False).wait()

    gc.collect()
    gcs = [0]

    def on_gc(phase, _info):
        if phase == "start":
            gcs[0] += 1

    gc.callbacks.append(on_gc)
    rss_before = rss_mb()
    cpu0 = cpu_us()
    perf_cmd("enable")
    t0 = time.perf_counter()
    lat = Loops(session, insert, select, a.workload, 0, a.ops, a.concurrency, True).wait()
    elapsed = time.perf_counter() - t0
    perf_cmd("disable")
    cpu1 = cpu_us()
    rss_after = rss_mb()
    gc.callbacks.remove(on_gc)

    lat.sort()
    n = len(lat)

    def q(p):
        return round(lat[min(n - 1, int(p * n))] / 1000, 1)

    conn_class = getattr(cluster, "connection_class", None)
    row = {
        "driver": "python-scylla-driver",
        "driverVersion": "scylla-driver " + cassandra.__version__,
        "workload": a.workload,
        "concurrency": a.concurrency,
        "ops": a.ops,
        "opsPerSec": round(a.ops / elapsed),
        "p50Us": q(0.5),
        "p99Us": q(0.99),
        "p999Us": q(0.999),
        "cpuUsPerOp": round((cpu1 - cpu0) / a.ops, 3),
        "mainThreadCpuUsPerOp": None,
        "allocsPerOp": None,
        "gcPerMillionOps": round(gcs[0] * 1e6 / a.ops, 1),
        "eventLoopDelayP99Us": None,
        "rssBeforeMb": rss_before,
        "rssAfterMb": rss_after,
        "notes": "CPython %s; %s reactor; execute_async callback chains, TokenAwarePolicy(RoundRobin); "
                 "latency percentiles exact (sorted samples); gc = CPython collections (all generations)"
                 % (sys.version.split()[0], conn_class.__name__ if conn_class else "default"),
    }
    sys.stdout.write(json.dumps(row) + "\n")
    sys.stdout.flush()
    os._exit(0)  # the driver's threads may linger after shutdown; the row is out


if __name__ == "__main__":
    main()
