// Command cql-stub is a CQL native-protocol server for benchmarks and driver tests: it answers the
// handshake, the system tables a driver's control connection reads, DDL, USE, and prepared
// INSERT/SELECT on its in-memory catalog (pre-seeded with benchks.benchtab), without storing data.
// With -shards it announces ScyllaDB's sharding keys, so it doubles as a ScyllaDB simulator.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9042", "listen address (port 0 picks a free port)")
	v5 := flag.Bool("v5", false, "accept protocol v5 (v5 framing); otherwise v4 only")
	shards := flag.Int("shards", 0, "announce ScyllaDB sharding with this many shards (0: behave like Cassandra)")
	shardPort := flag.Int("shard-aware-port", 0, "with -shards: also listen on this shard-aware port (-1: any free port)")
	tokens := flag.Int("tokens", 4, "number of tokens this node owns, spread evenly over the ring")
	verbose := flag.Bool("v", false, "log connection errors")
	flag.Parse()

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	ta := l.Addr().(*net.TCPAddr)
	opts := options{v5: *v5, shards: *shards, tokens: max(*tokens, 1), verbose: *verbose}
	var sal net.Listener
	if *shards > 0 && *shardPort != 0 {
		p := *shardPort
		if p < 0 {
			p = 0
		}
		sal, err = net.Listen("tcp", net.JoinHostPort(ta.IP.String(), strconv.Itoa(p)))
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen shard-aware port:", err)
			os.Exit(1)
		}
		opts.shardAwarePort = sal.Addr().(*net.TCPAddr).Port
	}
	s := newServer(opts, ta.IP, ta.Port)
	if sal != nil {
		go s.serve(sal, true)
		fmt.Printf("shard-aware %s\n", sal.Addr())
	}
	fmt.Printf("listening %s\n", l.Addr())
	if err := s.serve(l, false); err != nil {
		fmt.Fprintln(os.Stderr, "accept:", err)
		os.Exit(1)
	}
}
