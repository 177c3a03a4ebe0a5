// shardcql benchmark peer: the seed's workload on gocql, with the ScyllaDB shard-aware fork
// (github.com/scylladb/gocql) replacing github.com/gocql/gocql, configured as its README recommends:
// token-aware host selection (which enables shard awareness), prepared statements reused through
// the driver's statement cache, one Query per request released back to the pool after use.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/gocql/gocql"
	common "shardcql.local/bench/peers/gocommon"
)

type peer struct{ s *gocql.Session }

func (p *peer) Insert(pk int64) error {
	q := p.s.Query(common.InsertCQL, pk, 2*pk, 3*pk)
	err := q.Exec()
	q.Release()
	return err
}

func (p *peer) Select(pk int64) error {
	var k, v1, v2 int64
	q := p.s.Query(common.SelectCQL, pk)
	err := q.Scan(&k, &v1, &v2)
	q.Release()
	if err != nil {
		return fmt.Errorf("select %d: %w", pk, err)
	}
	return common.CheckRow(pk, k, v1, v2)
}

func main() {
	a := common.ParseArgs()
	c := gocql.NewCluster(a.Host)
	c.Port = a.Port
	c.Consistency = gocql.One
	c.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.RoundRobinHostPolicy())
	c.Timeout = 0 // no client-side per-request timeout: at high concurrency queueing is what we measure
	c.ConnectTimeout = 10 * time.Second
	// GOCQL_WRITE_COALESCE_US overrides the driver's write-coalescing wait (default 200 µs), to
	// show its effect; the default run leaves the driver's default.
	if v := os.Getenv("GOCQL_WRITE_COALESCE_US"); v != "" {
		us, err := strconv.Atoi(v)
		if err != nil {
			common.Fail(fmt.Errorf("GOCQL_WRITE_COALESCE_US: %w", err))
		}
		c.WriteCoalesceWaitTime = time.Duration(us) * time.Microsecond
	}
	s, err := c.CreateSession()
	if err != nil {
		common.Fail(fmt.Errorf("connect: %w", err))
	}
	defer s.Close()
	if a.CreateSchema {
		if err := s.Query(common.KeyspaceCQL).Exec(); err != nil {
			common.Fail(fmt.Errorf("create keyspace: %w", err))
		}
		if err := s.Query(common.TableCQL).Exec(); err != nil {
			common.Fail(fmt.Errorf("create table: %w", err))
		}
	}
	p := &peer{s}
	// gocql prepares a bound statement on first use and caches it per host; one insert and one
	// select of a key outside 0..N-1 prepare both before the timer.
	probe := int64(-1)
	if err := p.Insert(probe); err != nil {
		common.Fail(fmt.Errorf("prepare insert: %w", err))
	}
	if err := p.Select(probe); err != nil {
		common.Fail(fmt.Errorf("prepare select: %w", err))
	}
	common.Run(a, p, "gocql", common.ModuleVersion("github.com/gocql/gocql"),
		"github.com/gocql/gocql replaced by the scylladb fork; TokenAwareHostPolicy(RoundRobin), NumConns "+strconv.Itoa(c.NumConns)+
			" (ignored on ScyllaDB: one per shard), WriteCoalesceWaitTime "+c.WriteCoalesceWaitTime.String()+
			", protocol auto-negotiated, Query+Release per op")
}
