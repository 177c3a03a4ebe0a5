package main

import (
	"encoding/binary"
	"net"
	"testing"
)

// testServer is a one-node server for in-memory tests.
func testServer(opts options) *server {
	cl := newCluster([]net.IP{net.IPv4(127, 0, 0, 1)}, max(opts.tokens, 1), opts.shards)
	return newServer(opts, cl, 0, 9042, newCatalog(), &preparedCache{m: map[string]*prepared{}})
}

func TestShardOfVectors(t *testing.T) {
	// protocol-facts.md "ScyllaDB shard awareness" (nr_shards 4, ignore_msb 12).
	for _, v := range []struct {
		token int64
		shard int
	}{{-9219783007514621794, 3}, {9222582454147032830, 3}} {
		if got := shardOf(v.token, 4, 12); got != v.shard {
			t.Errorf("shardOf(%d) = %d, want %d", v.token, got, v.shard)
		}
	}
	// Every shard is hit, and shard 0 starts at the bottom of the ring.
	if shardOf(-1<<63, 4, 12) != 0 || shardOf(1<<63-1, 4, 0) != 3 {
		t.Error("ring ends")
	}
}

func TestMurmur3Vectors(t *testing.T) {
	// protocol-facts.md vectors and cassandra-driver's Murmur3Tokenizer for bigint keys.
	str := map[string]int64{"test": -6017608668500074083, "xd": 4507812186440344727,
		"primary_key": -1632642444691073360, "0123456789abcdefghij": -1961249309345799171}
	for k, want := range str {
		if got := murmur3Token([]byte(k)); got != want {
			t.Errorf("%q: %d, want %d", k, got, want)
		}
	}
	big := map[int64]int64{0: 2945182322382062539, 1: 6292367497774912474, -1: 7071048584287372947,
		123456789012345: -1909629754319441478, -9000000000000000000: -7663866388187362532}
	for k, want := range big {
		b := binary.BigEndian.AppendUint64(nil, uint64(k))
		if got := murmur3Token(b); got != want {
			t.Errorf("bigint %d: %d, want %d", k, got, want)
		}
	}
}

func TestClusterRing(t *testing.T) {
	ips := []net.IP{net.IPv4(127, 0, 0, 11), net.IPv4(127, 0, 0, 12), net.IPv4(127, 0, 0, 13)}
	cl := newCluster(ips, 4, 4)
	if len(cl.ring) != 12 || len(cl.nodes[2].tokens) != 4 {
		t.Fatalf("ring %d", len(cl.ring))
	}
	// The last ring token is 2^63-1-ish and owned by node (12-1)%3 = 2; a token past every ring token wraps.
	last := cl.ring[len(cl.ring)-1]
	if cl.ownerIndex(last.token) != len(cl.ring)-1 || cl.ring[cl.ownerIndex(-1<<63)].token != cl.ring[0].token {
		t.Fatal("owner")
	}
	// rf 1: exactly one replica per token; rf 3: all three nodes.
	for _, tok := range []int64{-1 << 62, 0, 1 << 62} {
		one, three := 0, 0
		for n := range 3 {
			if cl.isReplica(n, tok, 1) {
				one++
			}
			if cl.isReplica(n, tok, 3) {
				three++
			}
		}
		if one != 1 || three != 3 {
			t.Errorf("token %d: rf1 %d rf3 %d", tok, one, three)
		}
	}
	// rf 2: the owner and the next node in ring order.
	i := cl.ownerIndex(0)
	o, next := cl.ring[i].node, cl.ring[(i+1)%12].node
	if !cl.isReplica(o, 0, 2) || !cl.isReplica(next, 0, 2) || cl.isReplica(3-o-next, 0, 2) {
		t.Error("rf 2")
	}
	cl.count(o, shardOf(0, 4, 12), []byte{}, 1, true) // empty key: token 0... counted as executes
	if cl.nodes[o].shards[shardOf(0, 4, 12)].executes.Load() != 1 {
		t.Error("count")
	}
}

func TestLwtMark(t *testing.T) {
	s := testServer(options{tokens: 1, shards: 4})
	for q, want := range map[string]bool{
		"INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?) IF NOT EXISTS": true,
		"INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)":               false,
		"UPDATE benchks.benchtab SET v1 = ? WHERE pk = ? IF v2 = ?":                true,
		"DELETE FROM benchks.benchtab WHERE pk = ? IF EXISTS":                      true,
		"SELECT * FROM benchks.benchtab WHERE pk = ?":                              false,
	} {
		p, res := s.prepare(q, "")
		if p == nil {
			t.Fatalf("%s: %s", q, res.errMsg)
		}
		if p.lwt != want {
			t.Errorf("%s: lwt %v", q, p.lwt)
		}
		if want {
			// RESULT kind (4), [short bytes] id, then the bind metadata flags.
			off := 4 + 2 + len(p.id)
			if binary.BigEndian.Uint32(p.lwt4[off:])&lwtMask == 0 || binary.BigEndian.Uint32(p.body4[off:])&lwtMask != 0 {
				t.Errorf("%s: mask not in lwt4 only", q)
			}
		}
	}
}
