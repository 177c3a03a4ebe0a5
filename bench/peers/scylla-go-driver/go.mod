module shardcql.local/bench/peers/scylla-go-driver

go 1.25

// The driver has no release tags; pinned to its last commit on master (2022-10-13).
require (
	github.com/scylladb/scylla-go-driver v0.0.0-20221013134735-ce81923df69a
	shardcql.local/bench/peers/gocommon v0.0.0
)

require (
	github.com/HdrHistogram/hdrhistogram-go v1.4.0 // indirect
	github.com/klauspost/compress v1.15.1 // indirect
	github.com/pierrec/lz4/v4 v4.1.14 // indirect
	go.uber.org/atomic v1.9.0 // indirect
)

replace shardcql.local/bench/peers/gocommon => ../gocommon
