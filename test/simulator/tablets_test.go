package main

import (
	"bytes"
	"encoding/binary"
	"math"
	"net"
	"testing"
)

func TestTabletsPlacement(t *testing.T) {
	ips := []net.IP{net.IPv4(127, 0, 0, 11), net.IPv4(127, 0, 0, 12), net.IPv4(127, 0, 0, 13)}
	cl := newCluster(ips, 8, 4)
	tt := cl.buildTablets("ks.t", 3)
	if len(tt.tablets) != tabletsPerTable || tt.tablets[0].first != math.MinInt64 || tt.tablets[tabletsPerTable-1].last != math.MaxInt64 {
		t.Fatalf("tablets %d, ends %d %d", len(tt.tablets), tt.tablets[0].first, tt.tablets[len(tt.tablets)-1].last)
	}
	sameShard := 0
	for k, tb := range tt.tablets {
		if k > 0 && tb.first != tt.tablets[k-1].last || tb.first >= tb.last {
			t.Fatalf("tablet %d (%d, %d] not contiguous", k, tb.first, tb.last)
		}
		seen := map[int]bool{}
		for _, r := range tb.replicas {
			seen[r.node] = true
			if r.shard == shardOf(tb.last, 4, ignoreMsb) {
				sameShard++
			}
		}
		if len(seen) != 3 {
			t.Fatalf("tablet %d replicas %v", k, tb.replicas)
		}
		if tt.find(tb.last) != &tt.tablets[k] || (k > 0 && tt.find(tb.first) != &tt.tablets[k-1]) {
			t.Fatalf("find at the ends of tablet %d", k)
		}
	}
	// The shards do not follow ScyllaDB's vnode token->shard math.
	if sameShard > len(tt.tablets)*3/2 {
		t.Fatalf("%d of %d replica shards equal the token's shard", sameShard, len(tt.tablets)*3)
	}
}

// decodeTabletsPayload parses the [bytes map] {"tablets-routing-v1": tuple<bigint, bigint, list<tuple<uuid, int>>>}.
func decodeTabletsPayload(t *testing.T, b []byte) (first, last int64, hosts [][]byte, shards []int32, rest []byte) {
	r := reader{b: b}
	if n := r.u16(); n != 1 || r.str() != tabletsPayloadKey {
		t.Fatalf("payload map % x", b)
	}
	v := reader{b: r.bytesVal()}
	first = int64(binary.BigEndian.Uint64(v.bytesVal()))
	last = int64(binary.BigEndian.Uint64(v.bytesVal()))
	l := reader{b: v.bytesVal()}
	for n := l.i32(); n > 0; n-- {
		e := reader{b: l.bytesVal()}
		hosts = append(hosts, e.bytesVal())
		shards = append(shards, int32(binary.BigEndian.Uint32(e.bytesVal())))
	}
	if r.bad || v.bad || l.bad {
		t.Fatal("truncated payload")
	}
	return first, last, hosts, shards, b[r.p:]
}

func TestTabletsPayloadOnMisroute(t *testing.T) {
	for _, negotiate := range []bool{true, false} {
		a, b := net.Pipe()
		s := testServer(options{tokens: 1, shards: 4})
		s.cl.enableTablets([]string{"benchks"})
		c := &conn{s: s, nc: b, prep: map[string]*prepared{}} // shard 0
		go c.run()

		go a.Write(request(4, 0, opOptions, nil))
		if _, body := readEnvelope(t, a); !bytes.Contains(body, append(appendString(nil, tabletsKey), 0, 1, 0, 0)) {
			t.Fatalf("SUPPORTED without TABLETS_ROUTING_V1 [\"\"]: % x", body)
		}
		st := appendU16(nil, 2)
		st = appendString(appendString(st, "CQL_VERSION"), "3.0.0")
		name := "X_OTHER"
		if negotiate {
			name = tabletsKey
		}
		st = appendString(appendString(st, name), "")
		go a.Write(request(4, 1, opStartup, st))
		readEnvelope(t, a)
		go a.Write(request(4, 2, opPrepare, prepareBody("INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)")))
		_, pb := readEnvelope(t, a)
		pr := reader{b: pb[4:]}
		id := pr.shortBytes()
		tt := s.cl.tabletsOf(s.cat.table("benchks", "benchtab"), 1)
		var withPayload, without int
		for pk := int64(0); pk < 200; pk++ {
			go a.Write(request(4, 3, opExecute, executeBody(id, pk, 0)))
			h, body := readEnvelope(t, a)
			tok := murmur3Token(binary.BigEndian.AppendUint64(nil, uint64(pk)))
			tb := tt.find(tok)
			misrouted := tb.replicas[0].node != 0 || tb.replicas[0].shard != 0
			if h.flags&flagCustomPayload == 0 {
				if negotiate && misrouted {
					t.Fatalf("pk %d: misrouted without payload", pk)
				}
				without++
				continue
			}
			if !negotiate || !misrouted {
				t.Fatalf("pk %d: payload on a routed request or without negotiation", pk)
			}
			withPayload++
			first, last, hosts, shards, rest := decodeTabletsPayload(t, body)
			if first != tb.first || last != tb.last || tok <= first || tok > last || len(hosts) != 1 ||
				!bytes.Equal(hosts[0], s.cl.nodes[0].hostID) || int(shards[0]) != tb.replicas[0].shard {
				t.Fatalf("pk %d: tablet (%d, %d] %x %v for token %d", pk, first, last, hosts, shards, tok)
			}
			if binary.BigEndian.Uint32(rest) != 1 { // VOID after the payload
				t.Fatalf("body after payload % x", rest)
			}
		}
		c0 := &s.cl.nodes[0].shards[0]
		if c0.executes.Load() != 200 || c0.wrongShard.Load() == 0 || c0.wrongNode.Load() != 0 {
			t.Fatalf("counters executes %d wrong shard %d wrong node %d", c0.executes.Load(), c0.wrongShard.Load(), c0.wrongNode.Load())
		}
		if negotiate && (withPayload == 0 || without == 0 || int64(withPayload) != c0.wrongShard.Load()) {
			t.Fatalf("with payload %d, without %d, wrong shard %d", withPayload, without, c0.wrongShard.Load())
		}
		a.Close()
	}
}

func TestTabletsOffKeepsVnodeCounting(t *testing.T) {
	s := testServer(options{tokens: 1, shards: 4})
	if s.cl.tabletsOf(s.cat.table("benchks", "benchtab"), 1) != nil {
		t.Fatal("tablets without -tablets")
	}
	s.cl.enableTablets([]string{"otherks"})
	if s.cl.tabletsOf(s.cat.table("benchks", "benchtab"), 1) != nil {
		t.Fatal("benchks is not in -tablets")
	}
}
