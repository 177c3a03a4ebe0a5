package main

// One goroutine per connection: read as much as the socket has, handle every whole envelope in the
// buffer, append all responses to one output buffer, and write it with one syscall per read batch.
// So the stub's cost per request is a few hundred nanoseconds and it is never the benchmark's
// bottleneck (see bench/src/stub-ceiling.ts for its ceiling).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
)

type options struct {
	v5             bool
	shards         int
	shardAwarePort int
	tokens         int
	verbose        bool
	auth           string // "user:password": PasswordAuthenticator-style SASL PLAIN before READY; "" none
}

type server struct {
	opts      options
	cat       *catalog
	prep      *preparedCache
	localBody []byte
	connSeq   atomic.Uint64
	supported []byte // SUPPORTED body without the per-connection SCYLLA_SHARD entry
	cl        *cluster
	node      int // this server's index in cl.nodes
	peersBody []byte
	peers2    []byte
}

// newServer is node `node` of cl; the nodes of one process share the catalog and the prepared cache.
func newServer(opts options, cl *cluster, node, port int, cat *catalog, prep *preparedCache) *server {
	s := &server{opts: opts, cat: cat, prep: prep, cl: cl, node: node}
	nv := "4"
	if opts.v5 {
		nv = "5"
	}
	me := cl.nodes[node]
	s.localBody = localRowsBody(me.ip, port, nv, me.tokens, me.hostID)
	s.peersBody, s.peers2 = peersBodies(cl, node, port)
	return s
}

func (s *server) maxVersion() byte {
	if s.opts.v5 {
		return 5
	}
	return 4
}

// supportedBody is the [string multimap] of SUPPORTED. With -shards it carries ScyllaDB's sharding
// keys (scylladb docs/dev/protocol-extensions.md), and then no PROTOCOL_VERSIONS (ScyllaDB sends none).
func (s *server) supportedBody(shard int) []byte {
	type kv struct {
		k string
		v []string
	}
	entries := []kv{{"CQL_VERSION", []string{"3.4.7"}}, {"COMPRESSION", supportedCompressions}}
	if s.opts.shards > 0 {
		entries = append(entries,
			kv{"SCYLLA_SHARD", []string{strconv.Itoa(shard)}},
			kv{"SCYLLA_NR_SHARDS", []string{strconv.Itoa(s.opts.shards)}},
			kv{"SCYLLA_PARTITIONER", []string{"org.apache.cassandra.dht.Murmur3Partitioner"}},
			kv{"SCYLLA_SHARDING_ALGORITHM", []string{"biased-token-round-robin"}},
			kv{"SCYLLA_SHARDING_IGNORE_MSB", []string{"12"}},
			kv{"SCYLLA_LWT_ADD_METADATA_MARK", []string{"LWT_OPTIMIZATION_META_BIT_MASK=" + strconv.Itoa(lwtMask)}})
		if s.opts.shardAwarePort > 0 {
			entries = append(entries, kv{"SCYLLA_SHARD_AWARE_PORT", []string{strconv.Itoa(s.opts.shardAwarePort)}})
		}
		if s.cl.tablets != nil {
			entries = append(entries, kv{tabletsKey, []string{""}})
		}
	} else {
		// Only the versions the handshake accepts (v3 is not served).
		versions := []string{"4/v4"}
		if s.opts.v5 {
			versions = append(versions, "5/v5")
		}
		entries = append(entries, kv{"PROTOCOL_VERSIONS", versions})
	}
	b := appendU16(nil, uint16(len(entries)))
	for _, e := range entries {
		b = appendString(b, e.k)
		b = appendStringList(b, e.v)
	}
	return b
}

func (s *server) serve(l net.Listener, shardAware bool) error {
	for {
		nc, err := l.Accept()
		if err != nil {
			return err
		}
		seq := s.connSeq.Add(1) - 1
		shard := 0
		if s.opts.shards > 0 {
			if shardAware {
				// A connection to the shard-aware port lands on source_port % nr_shards.
				shard = nc.RemoteAddr().(*net.TCPAddr).Port % s.opts.shards
			} else {
				shard = int(seq % uint64(s.opts.shards))
			}
		}
		c := &conn{s: s, nc: nc, shard: shard, prep: map[string]*prepared{}}
		s.cl.nodes[s.node].shards[shard].conns.Add(1)
		go func() {
			c.run()
			s.cl.nodes[s.node].shards[shard].conns.Add(-1)
		}()
	}
}

type conn struct {
	s        *server
	nc       net.Conn
	shard    int
	version  byte // 0 until the first envelope fixes it
	framed   bool // v5 framing is on (after READY)
	authed   bool // -auth: SASL PLAIN done (or no -auth)
	keyspace string
	lwtMark  bool                 // STARTUP echoed SCYLLA_LWT_ADD_METADATA_MARK
	comp     *compressor          // negotiated in STARTUP (frame.go); nil: no compression
	tablets  bool                 // STARTUP echoed TABLETS_ROUTING_V1 (tablets.go)
	prep     map[string]*prepared // per-connection cache of the shared prepared map: no lock per EXECUTE

	in        []byte
	wb        []byte // responses; in framed mode, envelopes waiting to be wrapped
	pendStart int    // framed mode: start in wb of the envelopes not yet wrapped in a frame
	out       []byte // framed mode: finished frames
	large     []byte // framed mode: an envelope spread over frames that are not self-contained
	close     bool
}

var errClose = errors.New("closing connection")

func (c *conn) run() {
	defer c.nc.Close()
	c.in = make([]byte, 256<<10)
	r, w := 0, 0
	for {
		if w == len(c.in) {
			if r > 0 {
				w = copy(c.in, c.in[r:w])
				r = 0
			} else {
				grown := make([]byte, 2*len(c.in))
				copy(grown, c.in[:w])
				c.in = grown
			}
		}
		n, err := c.nc.Read(c.in[w:])
		if n > 0 {
			w += n
			used, perr := c.process(c.in[r:w])
			r += used
			if r == w {
				r, w = 0, 0
			}
			if werr := c.flush(); werr != nil {
				return
			}
			if perr != nil || c.close {
				if c.s.opts.verbose && perr != nil && perr != errClose {
					fmt.Println("connection error:", perr)
				}
				return
			}
		}
		if err != nil {
			if err != io.EOF && c.s.opts.verbose {
				fmt.Println("read error:", err)
			}
			return
		}
	}
}

// process handles every whole envelope (or v5 frame) in b and returns the bytes consumed.
func (c *conn) process(b []byte) (int, error) {
	p := 0
	for p < len(b) {
		if c.framed {
			payload, self, used, err := c.comp.parseFrame(b[p:])
			if err != nil {
				return p, err
			}
			if used == 0 {
				return p, nil
			}
			p += used
			if err := c.framePayload(payload, self); err != nil {
				return p, err
			}
			continue
		}
		if len(b)-p < envelopeHeaderLen {
			return p, nil
		}
		h := parseEnvelopeHeader(b[p:])
		if h.length > maxEnvelopeBody {
			return p, fmt.Errorf("envelope body of %d bytes", h.length)
		}
		if len(b)-p < envelopeHeaderLen+h.length {
			return p, nil
		}
		body := b[p+envelopeHeaderLen : p+envelopeHeaderLen+h.length]
		p += envelopeHeaderLen + h.length
		if err := c.envelope(h, body); err != nil {
			return p, err
		}
		if c.close {
			return p, nil
		}
	}
	return p, nil
}

// framePayload handles a v5 frame's payload: whole envelopes when self-contained, otherwise a part
// of one large envelope (native_protocol_v5.spec section 2.3).
func (c *conn) framePayload(payload []byte, self bool) error {
	if !self {
		c.large = append(c.large, payload...)
		if len(c.large) < envelopeHeaderLen {
			return nil
		}
		h := parseEnvelopeHeader(c.large)
		if len(c.large) < envelopeHeaderLen+h.length {
			return nil
		}
		if len(c.large) > envelopeHeaderLen+h.length {
			return errors.New("frames that are not self-contained carried more than one envelope")
		}
		err := c.envelope(h, c.large[envelopeHeaderLen:])
		c.large = c.large[:0]
		return err
	}
	if len(c.large) > 0 {
		return errors.New("self-contained frame in the middle of a large envelope")
	}
	for p := 0; p < len(payload); {
		if len(payload)-p < envelopeHeaderLen {
			return errors.New("partial envelope header in a self-contained frame")
		}
		h := parseEnvelopeHeader(payload[p:])
		end := p + envelopeHeaderLen + h.length
		if end > len(payload) {
			return errors.New("partial envelope in a self-contained frame")
		}
		if err := c.envelope(h, payload[p+envelopeHeaderLen:end]); err != nil {
			return err
		}
		p = end
	}
	return nil
}

func (c *conn) begin(stream int16, op byte) int {
	start := len(c.wb)
	c.wb = appendEnvelopeHeader(c.wb, c.version, 0, stream, op)
	return start
}

func (c *conn) end(start int) {
	patchEnvelopeLength(c.wb, start)
	if !c.framed {
		c.wb = c.comp.compressEnvelope(c.wb, start)
		return
	}
	// Keep frames within the payload limit: wrap what precedes this envelope first, and split an
	// envelope that alone exceeds the limit over frames that are not self-contained.
	if len(c.wb)-c.pendStart > maxFramePayload {
		if start > c.pendStart {
			c.out = c.comp.appendFrame(c.out, c.wb[c.pendStart:start], true)
		}
		env := c.wb[start:]
		if len(env) > maxFramePayload {
			for len(env) > 0 {
				n := min(len(env), maxFramePayload)
				c.out = c.comp.appendFrame(c.out, env[:n], false)
				env = env[n:]
			}
			c.pendStart = len(c.wb)
		} else {
			c.pendStart = start
		}
	}
}

func (c *conn) flush() error {
	var data []byte
	if c.framed {
		if len(c.wb) > c.pendStart {
			c.out = c.comp.appendFrame(c.out, c.wb[c.pendStart:], true)
		}
		data = c.out
	} else {
		data = c.wb
	}
	if len(data) == 0 {
		return nil
	}
	_, err := c.nc.Write(data)
	c.wb, c.out, c.pendStart = c.wb[:0], c.out[:0], 0
	return err
}

func (c *conn) writeError(stream int16, code int, msg string, extra []byte) {
	st := c.begin(stream, opError)
	c.wb = appendI32(c.wb, int32(code))
	c.wb = appendString(c.wb, msg)
	c.wb = append(c.wb, extra...)
	c.end(st)
}

func (c *conn) writeResult(stream int16, body []byte) {
	st := c.begin(stream, opResult)
	c.wb = append(c.wb, body...)
	c.end(st)
}

func (c *conn) envelope(h envelopeHeader, body []byte) error {
	v := h.version & 0x7F
	if h.version&0x80 != 0 {
		return errors.New("received a response envelope")
	}
	if c.version == 0 {
		if v < 4 || v > c.s.maxVersion() {
			// v4 section 8 / v5 section 8: answer in a version the client can read, then close; drivers
			// retry with a lower version on this message.
			c.version = c.s.maxVersion()
			c.writeError(h.stream, errProtocol, fmt.Sprintf(
				"Invalid or unsupported protocol version (%d); supported versions are (%s)", v, c.s.versionList()), nil)
			c.close = true
			return nil
		}
		c.version = v
	} else if v != c.version {
		c.writeError(h.stream, errProtocol, fmt.Sprintf("protocol version %d on a connection that uses %d", v, c.version), nil)
		c.close = true
		return nil
	}
	if h.flags&flagCompression != 0 {
		// v4 section 5: only envelope bodies are compressed; in v5 whole frames are (never envelopes).
		var err error
		if c.framed {
			err = errors.New("compressed envelope inside a v5 frame")
		} else if body, err = c.comp.decompressBody(body); err == nil {
			h.length = len(body)
		}
		if err != nil {
			c.writeError(h.stream, errProtocol, err.Error(), nil)
			return nil
		}
	}
	r := reader{b: body}
	if h.flags&flagCustomPayload != 0 {
		r.skipBytesMap()
	}
	if !c.authed && h.opcode != opOptions && h.opcode != opStartup && h.opcode != opAuthResponse {
		c.writeError(h.stream, errProtocol, "authentication required before this request", nil)
		return nil
	}
	switch h.opcode {
	case opExecute:
		c.execute(h.stream, &r)
	case opQuery:
		c.queryMsg(h.stream, &r)
	case opPrepare:
		c.prepareMsg(h.stream, &r)
	case opBatch:
		c.writeResult(h.stream, voidBody)
	case opOptions:
		st := c.begin(h.stream, opSupported)
		c.wb = append(c.wb, c.s.supportedBody(c.shard)...)
		c.end(st)
	case opStartup:
		opts := r.stringMap()
		if r.bad {
			c.writeError(h.stream, errProtocol, "malformed STARTUP", nil)
			return nil
		}
		var comp *compressor
		if name := opts["COMPRESSION"]; name != "" {
			var err error
			if comp, err = newCompressor(name, c.version); err != nil {
				c.writeError(h.stream, errProtocol, err.Error(), nil)
				return nil
			}
		}
		_, c.lwtMark = opts["SCYLLA_LWT_ADD_METADATA_MARK"]
		c.lwtMark = c.lwtMark && c.s.opts.shards > 0
		_, c.tablets = opts[tabletsKey]
		c.tablets = c.tablets && c.s.cl.tablets != nil
		op := byte(opReady)
		if c.s.opts.auth != "" {
			// Native protocol v4 section 4.2.3: AUTHENTICATE names the authenticator; SASL follows.
			op = opAuthenticate
		} else {
			c.authed = true
		}
		st := c.begin(h.stream, op)
		if op == opAuthenticate {
			c.wb = appendString(c.wb, "org.apache.cassandra.auth.PasswordAuthenticator")
		}
		c.end(st)
		c.comp = comp // READY goes out uncompressed (and unframed in v5); everything after it is compressed
		if c.version >= 5 {
			// v5 section 2: everything after READY is framed. READY itself goes out unframed.
			c.out = append(c.out, c.wb...)
			c.wb = c.wb[:0]
			c.framed = true
		}
	case opRegister:
		st := c.begin(h.stream, opReady)
		c.end(st)
	case opAuthResponse:
		// SASL PLAIN: "\x00user\x00password" (RFC 4616), what PasswordAuthenticator accepts.
		token := r.bytesVal()
		want := "\x00" + strings.Replace(c.s.opts.auth, ":", "\x00", 1)
		if c.s.opts.auth == "" || string(token) != want {
			c.writeError(h.stream, errBadCredentials, "Provided username and/or password are incorrect", nil)
			return nil
		}
		c.authed = true
		st := c.begin(h.stream, opAuthSuccess)
		c.wb = appendBytes(c.wb, nil)
		c.end(st)
	default:
		c.writeError(h.stream, errProtocol, fmt.Sprintf("unsupported opcode 0x%02x", h.opcode), nil)
	}
	return nil
}

func (s *server) versionList() string {
	if s.opts.v5 {
		return "4/v4, 5/v5"
	}
	return "4/v4"
}

func (c *conn) queryMsg(stream int16, r *reader) {
	q := r.longStr()
	if r.bad {
		c.writeError(stream, errProtocol, "malformed QUERY", nil)
		return
	}
	if body, ok := c.largeRows(q, r); ok {
		c.writeResult(stream, body)
		return
	}
	res := c.s.query(q, c.keyspace)
	if res.errCode >= 0 {
		c.writeError(stream, res.errCode, res.errMsg, res.body)
		return
	}
	if res.useKs != "" {
		c.keyspace = res.useKs
	}
	c.writeResult(stream, res.body)
}

func (c *conn) prepareMsg(stream int16, r *reader) {
	q := r.longStr()
	ks := c.keyspace
	if c.version >= 5 {
		// v5 section 4.1.5: PREPARE carries flags and, with 0x01, a keyspace.
		if flags := r.i32(); flags&0x01 != 0 {
			ks = r.str()
		}
	}
	if r.bad {
		c.writeError(stream, errProtocol, "malformed PREPARE", nil)
		return
	}
	p, res := c.s.prepare(q, ks)
	if p == nil {
		c.writeError(stream, res.errCode, res.errMsg, nil)
		return
	}
	if old := c.s.prep.get(p.id); old != nil {
		p = old
	} else {
		c.s.prep.put(p)
	}
	c.prep[string(p.id)] = p
	switch {
	case c.version >= 5 && p.lwt && c.lwtMark:
		c.writeResult(stream, p.lwt5)
	case c.version >= 5:
		c.writeResult(stream, p.body5)
	case p.lwt && c.lwtMark:
		c.writeResult(stream, p.lwt4)
	default:
		c.writeResult(stream, p.body4)
	}
}

// execute is the hot path: an EXECUTE of a prepared INSERT gets VOID, a SELECT gets one row whose
// bigint column at table position j holds pk*(j+1), so (pk, v1, v2) reads back as (pk, 2pk, 3pk).
func (c *conn) execute(stream int16, r *reader) {
	id := r.shortBytes()
	if c.version >= 5 {
		r.shortBytes() // result_metadata_id
	}
	p := c.prep[string(id)]
	if p == nil && !r.bad {
		if p = c.s.prep.get(id); p != nil {
			c.prep[string(id)] = p
		}
	}
	if p == nil {
		if r.bad {
			c.writeError(stream, errProtocol, "malformed EXECUTE", nil)
			return
		}
		c.writeError(stream, errUnprepared, "Prepared query with ID "+fmt.Sprintf("%x", id)+" not found", appendShortBytes(nil, id))
		return
	}
	flags := c.queryFlags(r)
	var key []byte
	if flags&0x01 != 0 {
		n := int(r.u16())
		for i := 0; i < n && !r.bad; i++ {
			v := r.boundValue(flags)
			if i == p.pkBind {
				key = v
			}
		}
	}
	if r.bad {
		c.writeError(stream, errProtocol, "malformed EXECUTE", nil)
		return
	}
	var payload []byte // tablets-routing-v1 for a misrouted request (tablets.go)
	if p.pkSingle && key != nil {
		payload = c.countExecute(p, key)
	}
	if p.kind != stmtSelect {
		st := c.beginWithPayload(stream, opResult, payload)
		c.wb = append(c.wb, voidBody...)
		c.end(st)
		return
	}
	st := c.beginWithPayload(stream, opResult, payload)
	c.wb = appendI32(c.wb, 2)
	if flags&0x02 != 0 { // skip_metadata: the client has the result metadata from PREPARED
		c.wb = appendI32(c.wb, 0x0004)
		c.wb = appendI32(c.wb, int32(len(p.resultCols)))
	} else {
		c.wb = append(c.wb, p.resultMeta...)
	}
	if len(key) != 8 {
		c.wb = appendI32(c.wb, 0) // only bigint keys have a synthesized row
		c.end(st)
		return
	}
	pk := int64(binary.BigEndian.Uint64(key))
	c.wb = appendI32(c.wb, 1)
	for i := range p.resultCols {
		if p.resultCols[i].typeID == typeBigint || p.resultCols[i].typeID == typeCounter {
			c.wb = appendI32(c.wb, 8)
			c.wb = appendI64(c.wb, pk*int64(p.resultPos[i]+1))
		} else {
			c.wb = appendI32(c.wb, -1)
		}
	}
	c.end(st)
}

var (
	reLargeRows = regexp.MustCompile(`(?is)^\s*select\s+.*\s+from\s+simulator\.large\s+where\s+size\s*=\s*(\d+)(?:\s+and\s+rows\s*=\s*(\d+))?`)
	reEchoRows  = regexp.MustCompile(`(?is)^\s*select\s+.*\s+from\s+simulator\.echo\b`)
)

// largeRows serves two tables that answers and requests of any size are tested with (the stub keeps no
// rows of its own): `SELECT * FROM simulator.large WHERE size = N [AND rows = R]` gives R rows (default 1)
// of (i int, v blob), v of N bytes with byte j = (i + j) mod 256; `SELECT * FROM simulator.echo` gives one
// row (i int, v blob) per bound value, v the value itself, so a test can check a request arrived whole.
func (c *conn) largeRows(q string, r *reader) ([]byte, bool) {
	cols := []column{col("i", typeInt), col("v", typeBlob)}
	var rows [][][]byte
	if m := reLargeRows.FindStringSubmatch(q); m != nil {
		size, err1 := strconv.Atoi(m[1])
		n := 1
		var err2 error
		if m[2] != "" {
			n, err2 = strconv.Atoi(m[2])
		}
		if err1 != nil || err2 != nil || size > 64<<20 || n > 100000 || size*n > 256<<20 {
			return nil, false
		}
		for i := 0; i < n; i++ {
			v := make([]byte, size)
			for j := range v {
				v[j] = byte(i + j)
			}
			rows = append(rows, [][]byte{appendI32(nil, int32(i)), v})
		}
	} else if reEchoRows.MatchString(q) {
		if flags := c.queryFlags(r); flags&0x01 != 0 {
			n := int(r.u16())
			for i := 0; i < n && !r.bad; i++ {
				rows = append(rows, [][]byte{appendI32(nil, int32(i)), r.boundValue(flags)})
			}
		}
		if r.bad {
			return nil, false
		}
	} else {
		return nil, false
	}
	return appendRows(nil, "simulator", "large", cols, rows), true
}

// queryFlags reads the consistency and the flags that start a QUERY's or EXECUTE's parameters.
func (c *conn) queryFlags(r *reader) uint32 {
	r.u16() // consistency
	if c.version >= 5 {
		return uint32(r.i32())
	}
	return uint32(r.u8())
}

// boundValue reads one bound value, skipping its name when the flags say values are named (0x40).
func (r *reader) boundValue(flags uint32) []byte {
	if flags&0x40 != 0 {
		r.str()
	}
	return r.bytesVal()
}
