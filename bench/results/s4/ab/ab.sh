#!/bin/bash
# A/B: b146e32 (fresh clone /tmp/ci1) vs main, shardcql inserts/selects c=1024 against the stub, alternating.
W=${1:-inserts}
for i in 1 2 3 4; do
  for d in /tmp/ci1 /work/main; do
    (cd $d && npm run --silent -w @shardcql/bench bench -- --drivers shardcql --server stub --workload $W --ops 300000 --concurrency 1024 --repeat 1 --json /tmp/ab-$W-$(basename $d).jsonl 2>&1 | grep "run 1/1" | sed "s|^|$(basename $d) |")
  done
done
