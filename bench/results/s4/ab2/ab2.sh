#!/bin/bash
# A/B: d1e0786 (fresh clone /tmp/ci2) vs main, shardcql inserts c=1024 against the stub; the order flips each pair.
W=${1:-inserts}
for i in 1 2 3 4 5 6; do
  if [ $((i % 2)) = 1 ]; then order="/tmp/ci2 /work/main"; else order="/work/main /tmp/ci2"; fi
  for d in $order; do
    (cd $d && npm run --silent -w @shardcql/bench bench -- --drivers shardcql --server stub --workload $W --ops 300000 --concurrency 1024 --repeat 1 --json /tmp/ab2-$W-$(basename $d).jsonl 2>&1 | grep "run 1/1" | sed "s|^|$(basename $d) |")
  done
done
