#!/bin/sh
# The stub's fixed-rate runs again with open-loop.ts's fixed pool of 64 connections (the first generator opened a
# connection whenever all were busy; its logs: *-first-generator.log, its rows dropped). Cassandra's rate runs
# (service-cassandra-rate-1000us.log) already had the fixed pool.
cd "$(dirname "$0")/../../.." || exit 1
OUT=bench/results/issue15
S="npm run --silent bench:service -w bench --"
COMMON="--queries 2 --connections 64 --seconds 10 --warmup 3"
STUB="--json $OUT/service-stub.jsonl --raw $OUT/service-stub-raw.jsonl"
$S --server stub $COMMON --work 200 --modes inline --rates 1500 --rounds 2 $STUB > $OUT/service-stub-rate-200us.log 2>&1
$S --server stub $COMMON --work 1000 --modes inline --rates 500 --rounds 2 $STUB > $OUT/service-stub-rate-1000us.log 2>&1
# Then 1 and 3 queries per request (closed loop, inline, all threads on CPU 0), run by hand with these arguments.
$S --server stub --queries 1,3 --connections 64 --seconds 10 --warmup 3 --work 200,1000 --modes inline --rounds 2 $STUB > $OUT/service-stub-queries-1-3.log 2>&1
