package main

// The ScyllaDB cluster simulator: several nodes in one process (one listener per node, on consecutive
// loopback addresses, sharing the catalog and the prepared cache), a token ring that system.local and
// system.peers describe exactly, ScyllaDB's shard math, and per node/shard counters of misrouted
// EXECUTEs, read with `SELECT * FROM simulator.misrouted`.

import (
	"math/bits"
	"net"
	"sort"
	"strconv"
	"sync/atomic"
)

// ignoreMsb is what ScyllaDB announces as SCYLLA_SHARDING_IGNORE_MSB by default.
const ignoreMsb = 12

type ringEntry struct {
	token int64
	node  int
}

type shardCounters struct {
	conns      atomic.Int64
	executes   atomic.Int64
	wrongNode  atomic.Int64
	wrongShard atomic.Int64
	notPrimary atomic.Int64
	lwt        atomic.Int64
	lwtNotPrim atomic.Int64
}

type simNode struct {
	ip     net.IP
	hostID []byte
	tokens []string
	shards []shardCounters
}

type cluster struct {
	nodes   []*simNode
	ring    []ringEntry // sorted by token
	shards  int         // 0: no sharding (Cassandra)
	tablets *tabletSet  // -tablets: tablets-based keyspaces (tablets.go); nil: none
}

// newCluster spreads n*tokensPerNode tokens evenly over the ring; token k belongs to node k % n, so
// every node owns tokensPerNode ranges interleaved with the others'.
func newCluster(ips []net.IP, tokensPerNode, shards int) *cluster {
	n := len(ips)
	cl := &cluster{shards: shards}
	all := ringTokens(n * tokensPerNode)
	for i, ip := range ips {
		id := append([]byte{}, hostID...)
		id[15] = byte(i + 1)
		cl.nodes = append(cl.nodes, &simNode{ip: ip, hostID: id, shards: make([]shardCounters, max(shards, 1))})
	}
	for k, t := range all {
		node := k % n
		cl.nodes[node].tokens = append(cl.nodes[node].tokens, t)
		v, _ := strconv.ParseInt(t, 10, 64)
		cl.ring = append(cl.ring, ringEntry{token: v, node: node})
	}
	sort.Slice(cl.ring, func(a, b int) bool { return cl.ring[a].token < cl.ring[b].token })
	return cl
}

// ownerIndex is the ring position owning token t: the first ring token >= t (ranges are (prev, tok]),
// wrapping to the first one.
func (cl *cluster) ownerIndex(t int64) int {
	i := sort.Search(len(cl.ring), func(i int) bool { return cl.ring[i].token >= t })
	if i == len(cl.ring) {
		i = 0
	}
	return i
}

// isReplica: SimpleStrategy placement (the owner, then the next distinct nodes in ring order) with rf
// replicas; rf 1 means the primary replica only.
func (cl *cluster) isReplica(node int, t int64, rf int) bool {
	rf = min(max(rf, 1), len(cl.nodes))
	i := cl.ownerIndex(t)
	var seen uint64
	found := 0
	for k := 0; k < len(cl.ring) && found < rf; k++ {
		n := cl.ring[(i+k)%len(cl.ring)].node
		if seen&(1<<uint(n%64)) != 0 {
			continue
		}
		seen |= 1 << uint(n%64)
		found++
		if n == node {
			return true
		}
	}
	return false
}

// shardOf is ScyllaDB's biased-token-round-robin (docs/dev/protocol-extensions.md, "Intranode
// sharding"): b = (token + 2^63) mod 2^64; b = (b << ignoreMsb) mod 2^64; shard = high 64 bits of b*n.
func shardOf(token int64, nrShards int, msb uint) int {
	b := uint64(token) + (1 << 63)
	b <<= msb
	hi, _ := bits.Mul64(b, uint64(nrShards))
	return int(hi)
}

// countPrimary records whether an EXECUTE reached its primary replica, and the same for LWTs, which should
// reach the primary replica first (Paxos coordinated there avoids contention).
func (c *shardCounters) countPrimary(primary, lwt bool) {
	if !primary {
		c.notPrimary.Add(1)
	}
	if lwt {
		c.lwt.Add(1)
		if !primary {
			c.lwtNotPrim.Add(1)
		}
	}
}

// count records one EXECUTE with partition key `key` (the serialized single-column key) that arrived
// at node/shard.
func (cl *cluster) count(node, shard int, key []byte, rf int, lwt bool) {
	c := &cl.nodes[node].shards[shard]
	c.executes.Add(1)
	t := murmur3Token(key)
	c.countPrimary(cl.isReplica(node, t, 1), lwt)
	if !cl.isReplica(node, t, rf) {
		c.wrongNode.Add(1)
	}
	if cl.shards > 0 && shardOf(t, cl.shards, ignoreMsb) != shard {
		c.wrongShard.Add(1)
	}
}

var misroutedCols = []column{
	col("node", typeVarchar), col("shard", typeInt), col("connections", typeBigint),
	col("executes", typeBigint), col("wrong_node", typeBigint), col("wrong_shard", typeBigint),
	col("not_primary", typeBigint), col("lwt", typeBigint), col("lwt_not_primary", typeBigint),
}

func (cl *cluster) misroutedBody() []byte {
	var rows [][][]byte
	for _, n := range cl.nodes {
		for s := range n.shards {
			c := &n.shards[s]
			rows = append(rows, [][]byte{cellText(n.ip.String()), cellInt(int32(s)),
				appendI64(nil, c.conns.Load()), appendI64(nil, c.executes.Load()),
				appendI64(nil, c.wrongNode.Load()), appendI64(nil, c.wrongShard.Load()),
				appendI64(nil, c.notPrimary.Load()), appendI64(nil, c.lwt.Load()), appendI64(nil, c.lwtNotPrim.Load())})
		}
	}
	return appendRows(nil, "simulator", "misrouted", misroutedCols, rows)
}

func (cl *cluster) resetCounters() {
	for _, n := range cl.nodes {
		for s := range n.shards {
			n.shards[s].executes.Store(0)
			n.shards[s].wrongNode.Store(0)
			n.shards[s].wrongShard.Store(0)
			n.shards[s].notPrimary.Store(0)
			n.shards[s].lwt.Store(0)
			n.shards[s].lwtNotPrim.Store(0)
		}
	}
}

// murmur3Token is Cassandra's Murmur3Partitioner token: the first half of MurmurHash3_x64_128 with
// seed 0, where tail bytes are sign-extended (Java's `(long) byte`), and Long.MIN_VALUE maps to MAX.
func murmur3Token(key []byte) int64 {
	const c1, c2 = 0x87c37b91114253d5, 0x4cf5ad432745937f
	var h1, h2 uint64
	n := len(key)
	nblocks := n / 16
	for i := 0; i < nblocks; i++ {
		k1 := le64(key[i*16:])
		k2 := le64(key[i*16+8:])
		k1 *= c1
		k1 = bits.RotateLeft64(k1, 31)
		k1 *= c2
		h1 ^= k1
		h1 = bits.RotateLeft64(h1, 27)
		h1 += h2
		h1 = h1*5 + 0x52dce729
		k2 *= c2
		k2 = bits.RotateLeft64(k2, 33)
		k2 *= c1
		h2 ^= k2
		h2 = bits.RotateLeft64(h2, 31)
		h2 += h1
		h2 = h2*5 + 0x38495ab5
	}
	tail := key[nblocks*16:]
	var k1, k2 uint64
	for i := len(tail) - 1; i >= 0; i-- {
		v := uint64(int64(int8(tail[i])))
		if i >= 8 {
			k2 ^= v << (uint(i-8) * 8)
		} else {
			k1 ^= v << (uint(i) * 8)
		}
	}
	if len(tail) > 8 {
		k2 *= c2
		k2 = bits.RotateLeft64(k2, 33)
		k2 *= c1
		h2 ^= k2
	}
	if len(tail) > 0 {
		k1 *= c1
		k1 = bits.RotateLeft64(k1, 31)
		k1 *= c2
		h1 ^= k1
	}
	h1 ^= uint64(n)
	h2 ^= uint64(n)
	h1 += h2
	h2 += h1
	h1 = fmix64(h1)
	h2 = fmix64(h2)
	h1 += h2
	t := int64(h1)
	if t == -1<<63 {
		return 1<<63 - 1
	}
	return t
}

func le64(b []byte) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// nodeIP is base + i in the last byte (127.0.0.1 + 2 = 127.0.0.3).
func nodeIP(base net.IP, i int) net.IP {
	ip := append(net.IP{}, base.To4()...)
	ip[3] += byte(i)
	return ip
}
