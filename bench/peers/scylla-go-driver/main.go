// shardcql benchmark peer: the seed's workload on github.com/scylladb/scylla-go-driver (the driver
// shardcql's design follows), used as its own benchtab tool does: one Session, and per goroutine
// its own prepared Query (a Query holds its bound values, so it is not shared), Bind + Exec.
package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"

	scylla "github.com/scylladb/scylla-go-driver"
	common "shardcql.local/bench/peers/gocommon"
)

// peer hands each goroutine its own pair of prepared queries, prepared before the timer.
type peer struct {
	ctx     context.Context
	s       *scylla.Session
	mu      sync.Mutex
	free    []*queries
}

type queries struct{ insert, sel scylla.Query }

func (p *peer) prepare() (*queries, error) {
	ins, err := p.s.Prepare(p.ctx, common.InsertCQL)
	if err != nil {
		return nil, fmt.Errorf("prepare insert: %w", err)
	}
	sel, err := p.s.Prepare(p.ctx, common.SelectCQL)
	if err != nil {
		return nil, fmt.Errorf("prepare select: %w", err)
	}
	return &queries{ins, sel}, nil
}

// take and give move a goroutine's query pair in and out of a free list: each op borrows one pair,
// so C goroutines use at most C pairs, all prepared up front.
func (p *peer) take() *queries {
	p.mu.Lock()
	n := len(p.free)
	if n == 0 {
		p.mu.Unlock()
		q, err := p.prepare()
		if err != nil {
			common.Fail(err)
		}
		return q
	}
	q := p.free[n-1]
	p.free = p.free[:n-1]
	p.mu.Unlock()
	return q
}

func (p *peer) give(q *queries) {
	p.mu.Lock()
	p.free = append(p.free, q)
	p.mu.Unlock()
}

func (p *peer) Insert(pk int64) error {
	q := p.take()
	_, err := q.insert.BindInt64(0, pk).BindInt64(1, 2*pk).BindInt64(2, 3*pk).Exec(p.ctx)
	p.give(q)
	return err
}

func (p *peer) Select(pk int64) error {
	q := p.take()
	res, err := q.sel.BindInt64(0, pk).Exec(p.ctx)
	p.give(q)
	if err != nil {
		return fmt.Errorf("select %d: %w", pk, err)
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 3 {
		return fmt.Errorf("select %d: %d rows", pk, len(res.Rows))
	}
	k, err1 := res.Rows[0][0].AsInt64()
	v1, err2 := res.Rows[0][1].AsInt64()
	v2, err3 := res.Rows[0][2].AsInt64()
	if err1 != nil || err2 != nil || err3 != nil {
		return fmt.Errorf("select %d: decode: %v %v %v", pk, err1, err2, err3)
	}
	return common.CheckRow(pk, k, v1, v2)
}

func main() {
	a := common.ParseArgs()
	ctx := context.Background()
	cfg := scylla.DefaultSessionConfig("", net.JoinHostPort(a.Host, strconv.Itoa(a.Port)))
	cfg.DefaultPort = strconv.Itoa(a.Port)
	s, err := scylla.NewSession(ctx, cfg)
	if err != nil {
		common.Fail(fmt.Errorf("connect: %w", err))
	}
	defer s.Close()
	if a.CreateSchema {
		for _, stmt := range []string{common.KeyspaceCQL, common.TableCQL} {
			q := s.Query(stmt)
			if _, err := q.Exec(ctx); err != nil {
				common.Fail(fmt.Errorf("%s: %w", stmt, err))
			}
		}
	}
	p := &peer{ctx: ctx, s: s}
	// One query pair per goroutine, prepared before the timer.
	for i := 0; i < a.Concurrency; i++ {
		q, err := p.prepare()
		if err != nil {
			common.Fail(err)
		}
		p.free = append(p.free, q)
	}
	common.Run(a, p, "scylla-go-driver", common.ModuleVersion("github.com/scylladb/scylla-go-driver"),
		"DefaultSessionConfig (token-aware, shard-aware), one prepared Query pair per goroutine, Bind+Exec")
}
