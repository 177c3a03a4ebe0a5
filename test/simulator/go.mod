module github.com/shardcql/shardcql/test/simulator

go 1.26

require (
	github.com/golang/snappy v1.0.0
	github.com/pierrec/lz4/v4 v4.1.22
)
