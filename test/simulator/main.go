// Command cql-stub is a CQL native-protocol server for benchmarks and driver tests: it answers the
// handshake, the system tables a driver's control connection reads, DDL, USE, and prepared
// INSERT/SELECT on its in-memory catalog (pre-seeded with benchks.benchtab), without storing data.
// With -shards it announces ScyllaDB's sharding keys, so it doubles as a ScyllaDB simulator; with
// -nodes N it is a cluster of N nodes on consecutive loopback addresses (see cluster.go).
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9042", "listen address of node 0 (port 0 picks a free port); node i listens on the address + i, same port")
	v5 := flag.Bool("v5", false, "accept protocol v5 (v5 framing); otherwise v4 only")
	shards := flag.Int("shards", 0, "announce ScyllaDB sharding with this many shards (0: behave like Cassandra)")
	shardPort := flag.Int("shard-aware-port", 0, "with -shards: also listen on this shard-aware port (-1: any free port)")
	tokens := flag.Int("tokens", 4, "number of tokens each node owns, spread evenly over the ring")
	nodes := flag.Int("nodes", 1, "number of nodes (IPv4 only when > 1)")
	tablets := flag.String("tablets", "", "with -shards: comma-separated keyspaces whose tables use ScyllaDB tablets (tablets-routing-v1, tablets.go)")
	verbose := flag.Bool("v", false, "log connection errors")
	auth := flag.String("auth", "", "user:password: require SASL PLAIN authentication (PasswordAuthenticator) on every connection")
	flag.Parse()

	fail := func(what string, err error) {
		fmt.Fprintln(os.Stderr, what+":", err)
		os.Exit(1)
	}
	host, portStr, err := net.SplitHostPort(*addr)
	if err != nil {
		fail("addr", err)
	}
	base := net.ParseIP(host)
	if base == nil {
		ips, err := net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			fail("addr", fmt.Errorf("cannot resolve %s", host))
		}
		base = ips[0]
	}
	n := max(*nodes, 1)
	if n > 1 && base.To4() == nil {
		fail("nodes", fmt.Errorf("-nodes needs an IPv4 address"))
	}
	ips := make([]net.IP, n)
	for i := range ips {
		if i == 0 {
			ips[i] = base
		} else {
			ips[i] = nodeIP(base, i)
		}
	}
	port, _ := strconv.Atoi(portStr)
	listeners := make([]net.Listener, n)
	for i := range ips {
		l, err := net.Listen("tcp", net.JoinHostPort(ips[i].String(), strconv.Itoa(port)))
		if err != nil {
			fail("listen", err)
		}
		listeners[i] = l
		port = l.Addr().(*net.TCPAddr).Port // node 0 may have picked it
	}
	opts := options{v5: *v5, shards: *shards, tokens: max(*tokens, 1), verbose: *verbose, auth: *auth}
	shardListeners := make([]net.Listener, n)
	if *shards > 0 && *shardPort != 0 {
		p := max(*shardPort, 0)
		for i := range ips {
			sl, err := net.Listen("tcp", net.JoinHostPort(ips[i].String(), strconv.Itoa(p)))
			if err != nil {
				fail("listen shard-aware port", err)
			}
			shardListeners[i] = sl
			p = sl.Addr().(*net.TCPAddr).Port
		}
		opts.shardAwarePort = p
	}
	cl := newCluster(ips, opts.tokens, opts.shards)
	if *tablets != "" && opts.shards > 0 {
		cl.enableTablets(strings.Split(*tablets, ","))
	}
	cat := newCatalog()
	prep := &preparedCache{m: map[string]*prepared{}}
	errs := make(chan error, 2*n)
	for i := n - 1; i >= 0; i-- {
		s := newServer(opts, cl, i, port, cat, prep)
		if sl := shardListeners[i]; sl != nil {
			go func() { errs <- s.serve(sl, true) }()
			fmt.Printf("shard-aware %s\n", sl.Addr())
		}
		go func(l net.Listener) { errs <- s.serve(l, false) }(listeners[i])
		if i > 0 {
			fmt.Printf("node %d %s\n", i, listeners[i].Addr())
		}
	}
	// Last, so that a reader waiting for "listening" knows every node is up.
	fmt.Printf("listening %s\n", listeners[0].Addr())
	fail("accept", <-errs)
}
