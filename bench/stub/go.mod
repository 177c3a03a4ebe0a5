module github.com/shardcql/shardcql/bench/stub

go 1.26
