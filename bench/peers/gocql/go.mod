module shardcql.local/bench/peers/gocql

go 1.25.0

require (
	github.com/gocql/gocql v1.7.0
	shardcql.local/bench/peers/gocommon v0.0.0
)

require (
	github.com/HdrHistogram/hdrhistogram-go v1.4.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.19.1 // indirect
	golang.org/x/sync v0.22.0 // indirect
	gopkg.in/inf.v0 v0.9.1 // indirect
)

// The shard-aware fork keeps the upstream module path; pinned to its latest release.
replace github.com/gocql/gocql => github.com/scylladb/gocql v1.19.0

replace shardcql.local/bench/peers/gocommon => ../gocommon
