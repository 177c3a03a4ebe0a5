#!/bin/bash
# Session 4 closing comparison (one invocation): for each workload and round, the Node drivers (bench CLI,
# alternating inside) then the Rust and scylla-go peers (peers/sweep.mjs), stub, c=1024, 300,000 ops.
set -e
cd "$(dirname "$0")/../../../.."
OUT=bench/results/s4/final
for w in inserts selects; do
  for r in 1 2; do
    npm run --silent -w @shardcql/bench bench -- --drivers shardcql,cassandra-driver --server stub --workload $w --ops 300000 --concurrency 1024 --repeat 1 --json $OUT/node-$w.jsonl | grep "run 1/1"
    node bench/peers/sweep.mjs --peers scylla-rust,scylla-go-driver --workload $w --ops 300000 --concurrency 1024 --repeat 1 --out $OUT/peers-$w.jsonl | grep "run 0"
  done
done
