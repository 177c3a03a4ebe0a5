#!/bin/sh
# The service benchmark runs of bench/REPORT.md's 2026-12-02 section, in the order they ran (issue 15 part 2).
# Logs: service-*.log beside this file; medians: service-stub.jsonl, service-cassandra.jsonl; every run: *-raw.jsonl.
# The two stub-rate steps ran first with a generator that was then fixed; their rows were dropped and
# run-service-rates.sh ran them again (see there).
cd "$(dirname "$0")/../../.." || exit 1
OUT=bench/results/issue15
S="npm run --silent bench:service -w bench --"
COMMON="--queries 2 --connections 64 --seconds 10 --warmup 3"
STUB="--json $OUT/service-stub.jsonl --raw $OUT/service-stub-raw.jsonl"
CASS="--json $OUT/service-cassandra.jsonl --raw $OUT/service-cassandra-raw.jsonl"
step() { name=$1; shift; echo "== $name: $*"; "$@" > "$OUT/service-$name.log" 2>&1; }
if [ "${1:-}" != "--second-half" ]; then
  step stub-closed $S --server stub $COMMON --work 200,1000 --modes inline,piscina --rounds 3 $STUB
  step cassandra-closed env SHARDCQL_BENCH_DC=dc1 $S --server cassandra $COMMON --work 200,1000 --modes inline,piscina --rounds 2 $CASS
fi
step stub-closed-threads-cpu1 $S --server stub $COMMON --work 200,1000 --modes inline,piscina --rounds 2 --other-threads-cpu 1 $STUB
step stub-rate-200us $S --server stub $COMMON --work 200 --modes inline --rates 1500 --rounds 2 $STUB
step stub-rate-1000us $S --server stub $COMMON --work 1000 --modes inline --rates 500 --rounds 2 $STUB
step cassandra-rate-1000us env SHARDCQL_BENCH_DC=dc1 $S --server cassandra $COMMON --work 1000 --modes inline --rates 400 --rounds 2 $CASS
