package main

// ScyllaDB tablets (scylladb docs/dev/protocol-extensions.md, "Tablets routing v1"). With -tablets KS,..
// the tables of those keyspaces are tablets-based: each table is split into tabletsPerTable equal token
// ranges (first, last], each with its own replicas (host, shard), deliberately unlike the vnode ring's
// placement and ScyllaDB's token->shard math. SUPPORTED carries TABLETS_ROUTING_V1 ([""], as ScyllaDB
// sends it); a connection whose STARTUP echoed it gets, with the normal answer to an EXECUTE that reached
// a node or shard that is not a replica of its tablet, the custom payload entry `tablets-routing-v1`:
// tuple<bigint first, bigint last, list<tuple<uuid host_id, int shard>>>, flag 0x04 on the envelope.
// The misrouted counters count such requests by the tablet's placement instead of the ring's.

import (
	"hash/fnv"
	"math"
	"strings"
	"sync"
)

// tabletsPerTable: enough to spread keys over every node and shard, few enough that a test can pick
// keys of one tablet quickly.
const tabletsPerTable = 16

const tabletsKey = "TABLETS_ROUTING_V1"
const tabletsPayloadKey = "tablets-routing-v1"

type tabletReplica struct{ node, shard int }

type tablet struct {
	first, last int64 // the range (first, last]
	replicas    []tabletReplica
	payload     []byte // the custom payload (a [bytes map] with the one entry), ready to append
}

type tabletTable struct{ tablets []tablet } // ascending, covering (MinInt64, MaxInt64]

type tabletSet struct {
	keyspaces map[string]bool
	tables    sync.Map // *table -> *tabletTable (nil: not tablets-based)
}

// enableTablets makes the tables of these keyspaces tablets-based.
func (cl *cluster) enableTablets(keyspaces []string) {
	ts := &tabletSet{keyspaces: map[string]bool{}}
	for _, k := range keyspaces {
		if k = strings.TrimSpace(k); k != "" {
			ts.keyspaces[k] = true
		}
	}
	cl.tablets = ts
}

// tabletsOf is tbl's tablets (built on first use), nil when tbl is not tablets-based.
func (cl *cluster) tabletsOf(tbl *table, rf int) *tabletTable {
	ts := cl.tablets
	if ts == nil || tbl == nil {
		return nil
	}
	if v, ok := ts.tables.Load(tbl); ok {
		return v.(*tabletTable)
	}
	var tt *tabletTable
	if ts.keyspaces[tbl.ks] {
		tt = cl.buildTablets(tbl.ks+"."+tbl.name, rf)
	}
	v, _ := ts.tables.LoadOrStore(tbl, tt)
	return v.(*tabletTable)
}

// buildTablets places table `name`'s tablets: tablet k's replicas start at node (k + seed + 1) % n and
// take the next rf nodes; shards rotate with k and the replica's rank, independent of the token.
func (cl *cluster) buildTablets(name string, rf int) *tabletTable {
	h := fnv.New32a()
	h.Write([]byte(name))
	seed := int(h.Sum32() % 1024)
	n := len(cl.nodes)
	rf = min(max(rf, 1), n)
	step := uint64(math.MaxUint64 / tabletsPerTable)
	tt := &tabletTable{}
	first := int64(math.MinInt64)
	for k := 0; k < tabletsPerTable; k++ {
		last := int64(math.MaxInt64)
		if k < tabletsPerTable-1 {
			last = int64(uint64(1)<<63 + step*uint64(k+1))
		}
		tb := tablet{first: first, last: last}
		for j := 0; j < rf; j++ {
			r := tabletReplica{node: (k + seed + 1 + j) % n}
			if cl.shards > 0 {
				r.shard = (k*7 + j*3 + seed) % cl.shards
			}
			tb.replicas = append(tb.replicas, r)
		}
		tb.payload = cl.tabletPayload(&tb)
		tt.tablets = append(tt.tablets, tb)
		first = last
	}
	return tt
}

// tabletPayload is the custom payload [bytes map] {"tablets-routing-v1": value}.
func (cl *cluster) tabletPayload(tb *tablet) []byte {
	elem := func(b []byte, v []byte) []byte { return appendBytes(b, v) }
	var list []byte
	list = appendI32(list, int32(len(tb.replicas)))
	for _, r := range tb.replicas {
		var rep []byte
		rep = elem(rep, cl.nodes[r.node].hostID)
		rep = elem(rep, appendI32(nil, int32(r.shard)))
		list = elem(list, rep)
	}
	var v []byte
	v = elem(v, appendI64(nil, tb.first))
	v = elem(v, appendI64(nil, tb.last))
	v = elem(v, list)
	b := appendU16(nil, 1)
	b = appendString(b, tabletsPayloadKey)
	return appendBytes(b, v)
}

// find is the tablet holding token t.
func (tt *tabletTable) find(t int64) *tablet {
	lo, hi := 0, len(tt.tablets)
	for lo < hi {
		m := (lo + hi) / 2
		if tt.tablets[m].last < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(tt.tablets) {
		return nil
	}
	return &tt.tablets[lo]
}

// countTablet records an EXECUTE for a tablets-based table at node/shard and returns the tablet when
// the request was misrouted (not a replica, or a replica's other shard).
func (cl *cluster) countTablet(node, shard int, key []byte, tt *tabletTable, lwt bool) *tablet {
	c := &cl.nodes[node].shards[shard]
	c.executes.Add(1)
	tb := tt.find(murmur3Token(key))
	if tb == nil {
		return nil
	}
	c.countPrimary(tb.replicas[0].node == node, lwt)
	for _, r := range tb.replicas {
		if r.node != node {
			continue
		}
		if cl.shards > 0 && r.shard != shard {
			c.wrongShard.Add(1)
			return tb
		}
		return nil
	}
	c.wrongNode.Add(1)
	return tb
}

// countExecute counts an EXECUTE with single-column partition key `key` on this connection's node and
// shard; it returns the tablets-routing-v1 custom payload to add to the answer, or nil.
func (c *conn) countExecute(p *prepared, key []byte) []byte {
	cl := c.s.cl
	if cl.tablets != nil {
		if tt := cl.tabletsOf(p.tbl, p.rf); tt != nil {
			tb := cl.countTablet(c.s.node, c.shard, key, tt, p.lwt)
			if tb != nil && c.tablets {
				return tb.payload
			}
			return nil
		}
	}
	cl.count(c.s.node, c.shard, key, p.rf, p.lwt)
	return nil
}

// beginWithPayload starts a response envelope; with a custom payload, flag 0x04 and the [bytes map]
// before the body (native_protocol_v4.spec section 2.2).
func (c *conn) beginWithPayload(stream int16, op byte, payload []byte) int {
	if payload == nil {
		return c.begin(stream, op)
	}
	start := len(c.wb)
	c.wb = appendEnvelopeHeader(c.wb, c.version, flagCustomPayload, stream, op)
	c.wb = append(c.wb, payload...)
	return start
}
