package main

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// Vectors from protocol-facts.md (checked against the v5 spec's CRC24 definition).
func TestCRC24Vectors(t *testing.T) {
	cases := []struct {
		payloadLen int
		want       []byte
	}{
		{0, []byte{0x00, 0x00, 0x02, 0x6a, 0x36, 0xc4}},
		{9, []byte{0x09, 0x00, 0x02, 0xa4, 0xc8, 0xc1}},
	}
	for _, c := range cases {
		f := appendFrame(nil, make([]byte, c.payloadLen), true)
		if !bytes.Equal(f[:6], c.want) {
			t.Fatalf("len %d: header % x, want % x", c.payloadLen, f[:6], c.want)
		}
	}
}

func TestPayloadCRCEmpty(t *testing.T) {
	if got := payloadCRC(nil); got != 0x44777ED3 {
		t.Fatalf("empty payload CRC32 %#x, want 0x44777ED3", got)
	}
	f := appendFrame(nil, nil, true)
	if !bytes.Equal(f[6:], []byte{0xd3, 0x7e, 0x77, 0x44}) {
		t.Fatalf("trailer % x", f[6:])
	}
}

func TestFrameRoundTripAndPartial(t *testing.T) {
	payload := bytes.Repeat([]byte{1, 2, 3}, 1000)
	f := appendFrame(nil, payload, false)
	for cut := 0; cut < len(f); cut += 97 {
		_, _, used, err := parseFrame(f[:cut])
		if err != nil || used != 0 {
			t.Fatalf("cut %d: used %d err %v", cut, used, err)
		}
	}
	p, self, used, err := parseFrame(append(f, 0xff))
	if err != nil || used != len(f) || self || !bytes.Equal(p, payload) {
		t.Fatalf("parse: used %d self %v err %v", used, self, err)
	}
	f[3] ^= 1
	if _, _, _, err := parseFrame(f); err != errHeaderCRC {
		t.Fatalf("corrupt header: %v", err)
	}
	f[3] ^= 1
	f[10] ^= 1
	if _, _, _, err := parseFrame(f); err != errPayloadCRC {
		t.Fatalf("corrupt payload: %v", err)
	}
}

func TestEnvelopeHeader(t *testing.T) {
	b := appendEnvelopeHeader(nil, 4, 0, -1, opEvent)
	b = append(b, 1, 2, 3)
	patchEnvelopeLength(b, 0)
	h := parseEnvelopeHeader(b)
	if h.version != 0x84 || h.stream != -1 || h.opcode != opEvent || h.length != 3 {
		t.Fatalf("%+v", h)
	}
}

func TestRingTokens(t *testing.T) {
	got := ringTokens(4)
	want := []string{"-4611686018427387905", "-1", "4611686018427387903", "9223372036854775807"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("tokens %v", got)
		}
	}
}

func TestCreateTableParse(t *testing.T) {
	c := newCatalog()
	if msg := c.createTable("benchks", "t2", "a int, b text, c bigint, d map<text, int>, PRIMARY KEY ((a, b), c)"); msg != "" {
		t.Fatal(msg)
	}
	tb := c.table("benchks", "t2")
	if len(tb.cols) != 4 || len(tb.pk) != 2 || tb.pk[0] != 0 || tb.pk[1] != 1 || tb.cols[2].kind != "clustering" || tb.cols[3].typeID != typeBlob {
		t.Fatalf("%+v", tb)
	}
}

// pipe runs a conn over an in-memory pipe and returns the client side.
func pipe(t *testing.T, opts options) net.Conn {
	a, b := net.Pipe()
	s := testServer(opts)
	c := &conn{s: s, nc: b, prep: map[string]*prepared{}}
	go c.run()
	t.Cleanup(func() { a.Close() })
	return a
}

func request(version byte, stream int16, op byte, body []byte) []byte {
	b := []byte{version, 0, byte(uint16(stream) >> 8), byte(stream), op}
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...)
}

func readEnvelope(t *testing.T, c net.Conn) (envelopeHeader, []byte) {
	h := make([]byte, 9)
	if _, err := readFull(c, h); err != nil {
		t.Fatal(err)
	}
	eh := parseEnvelopeHeader(h)
	body := make([]byte, eh.length)
	if _, err := readFull(c, body); err != nil {
		t.Fatal(err)
	}
	return eh, body
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func startupBody() []byte {
	b := appendU16(nil, 1)
	b = appendString(b, "CQL_VERSION")
	return appendString(b, "3.0.0")
}

func prepareBody(q string) []byte { return append(appendI32(nil, int32(len(q))), q...) }

func executeBody(id []byte, pk int64, flags byte) []byte {
	b := appendShortBytes(nil, id)
	b = appendU16(b, 1) // consistency ONE
	b = append(b, flags|0x01)
	b = appendU16(b, 1)
	b = appendI32(b, 8)
	return appendI64(b, pk)
}

func TestV4PipelinedExecute(t *testing.T) {
	c := pipe(t, options{tokens: 1})
	go c.Write(request(4, 1, opStartup, startupBody()))
	if h, _ := readEnvelope(t, c); h.opcode != opReady || h.stream != 1 {
		t.Fatalf("%+v", h)
	}
	go c.Write(request(4, 2, opPrepare, prepareBody("SELECT pk, v1, v2 FROM benchks.benchtab WHERE pk = ?")))
	h, body := readEnvelope(t, c)
	if h.opcode != opResult || binary.BigEndian.Uint32(body) != 4 {
		t.Fatalf("prepare: %+v % x", h, body)
	}
	r := reader{b: body[4:]}
	id := r.shortBytes()
	if flags, n, pkCount, pkIdx := r.i32(), r.i32(), r.i32(), r.u16(); flags != 1 || n != 1 || pkCount != 1 || pkIdx != 0 {
		t.Fatalf("bind metadata %d %d %d %d", flags, n, pkCount, pkIdx)
	}
	// Two EXECUTEs in one write: both answered, in order, one row (pk, 2pk, 3pk) each.
	batch := append(request(4, 3, opExecute, executeBody(id, 21, 0x02)), request(4, 4, opExecute, executeBody(id, -5, 0x02))...)
	go c.Write(batch)
	for _, want := range []struct {
		stream int16
		pk     int64
	}{{3, 21}, {4, -5}} {
		h, body := readEnvelope(t, c)
		if h.stream != want.stream {
			t.Fatalf("stream %d", h.stream)
		}
		r := reader{b: body}
		if kind, flags, cols, rows := r.i32(), r.i32(), r.i32(), r.i32(); kind != 2 || flags != 4 || cols != 3 || rows != 1 {
			t.Fatalf("rows header %d %d %d %d", kind, flags, cols, rows)
		}
		for i := int64(1); i <= 3; i++ {
			v := r.bytesVal()
			if int64(binary.BigEndian.Uint64(v)) != want.pk*i {
				t.Fatalf("column %d: % x", i, v)
			}
		}
	}
	go c.Write(request(4, 5, opExecute, executeBody([]byte("nope"), 1, 0)))
	if h, body := readEnvelope(t, c); h.opcode != opError || binary.BigEndian.Uint32(body) != errUnprepared {
		t.Fatalf("unprepared: %+v % x", h, body)
	}
}

func TestUnsupportedVersion(t *testing.T) {
	c := pipe(t, options{tokens: 1})
	go c.Write(request(0x42, 0, opStartup, startupBody()))
	h, body := readEnvelope(t, c)
	if h.version != 0x84 || h.opcode != opError || binary.BigEndian.Uint32(body) != errProtocol {
		t.Fatalf("%+v % x", h, body)
	}
}

func TestV5Framing(t *testing.T) {
	c := pipe(t, options{tokens: 1, v5: true})
	go c.Write(request(5, 0, opStartup, startupBody()))
	if h, _ := readEnvelope(t, c); h.opcode != opReady || h.version != 0x85 {
		t.Fatalf("%+v", h)
	}
	// After READY both directions are framed: two envelopes in one self-contained frame.
	payload := append(request(5, 1, opOptions, nil), request(5, 2, opQuery, append(prepareBody("SELECT * FROM system.local"), 0, 1, 0))...)
	go c.Write(appendFrame(nil, payload, true))
	hdr := make([]byte, 6)
	readFull(c, hdr)
	n := int(uint32(hdr[0]) | uint32(hdr[1])<<8 | uint32(hdr[2])<<16&0x1FFFF)
	rest := make([]byte, n+4)
	readFull(c, rest)
	p, self, used, err := parseFrame(append(hdr, rest...))
	if err != nil || !self || used != 10+n {
		t.Fatalf("frame: %v %v %d", err, self, used)
	}
	h1 := parseEnvelopeHeader(p)
	h2 := parseEnvelopeHeader(p[9+h1.length:])
	if h1.opcode != opSupported || h2.opcode != opResult || h2.stream != 2 {
		t.Fatalf("%+v %+v", h1, h2)
	}
}

// A response larger than one frame goes out over frames that are not self-contained; the small
// responses before it stay in their own self-contained frame.
func TestV5LargeEnvelopeSplit(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	c := &conn{s: testServer(options{tokens: 1, v5: true}), nc: b, version: 5, framed: true}
	c.writeResult(1, voidBody)
	big := bytes.Repeat([]byte{7}, 300000)
	c.writeResult(2, big)
	c.writeResult(3, voidBody)
	go func() { c.flush(); b.Close() }()
	var all []byte
	buf := make([]byte, 65536)
	for {
		n, err := a.Read(buf)
		all = append(all, buf[:n]...)
		if err != nil {
			break
		}
	}
	var selfFlags []bool
	var large []byte
	var envelopes []envelopeHeader
	for len(all) > 0 {
		p, self, used, err := parseFrame(all)
		if err != nil || used == 0 {
			t.Fatalf("frame: %v used %d", err, used)
		}
		all = all[used:]
		selfFlags = append(selfFlags, self)
		if self {
			for len(p) > 0 {
				h := parseEnvelopeHeader(p)
				envelopes = append(envelopes, h)
				p = p[9+h.length:]
			}
		} else {
			large = append(large, p...)
		}
	}
	want := []bool{true, false, false, false, true}
	if len(selfFlags) != len(want) {
		t.Fatalf("frames %v", selfFlags)
	}
	for i := range want {
		if selfFlags[i] != want[i] {
			t.Fatalf("frames %v", selfFlags)
		}
	}
	if h := parseEnvelopeHeader(large); h.stream != 2 || h.length != len(big) || len(large) != 9+len(big) {
		t.Fatalf("large envelope %+v (%d bytes)", h, len(large))
	}
	if len(envelopes) != 2 || envelopes[0].stream != 1 || envelopes[1].stream != 3 {
		t.Fatalf("%+v", envelopes)
	}
}

func TestV4CompressedBodies(t *testing.T) {
	text := bytes.Repeat([]byte("benchks.benchtab pk v1 v2 "), 200)
	for _, name := range []string{"lz4", "snappy", "LZ4"} {
		k, err := newCompressor(name, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range [][]byte{nil, {0, 0, 0, 1}, text, bytes.Repeat([]byte{0xab}, 100000)} {
			wb := appendEnvelopeHeader([]byte{0xEE}, 4, 0, 7, opResult) // a byte before: start != 0
			wb = append(wb, body...)
			patchEnvelopeLength(wb, 1)
			wb = k.compressEnvelope(wb, 1)
			h := parseEnvelopeHeader(wb[1:])
			if h.flags&flagCompression == 0 || h.length != len(wb)-1-envelopeHeaderLen || h.stream != 7 {
				t.Fatalf("%s: header %+v for %d bytes", name, h, len(wb))
			}
			if name != "snappy" && len(body) == 0 && h.length != 5 {
				t.Fatalf("empty body: %d bytes, want the length and a one-byte block", h.length)
			}
			if len(body) > 1000 && h.length*4 > len(body) {
				t.Fatalf("%s: %d bytes compressed to %d", name, len(body), h.length)
			}
			// The client side compresses the same way: decompressBody inverts it.
			got, err := k.decompressBody(wb[1+envelopeHeaderLen:])
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("%s: round trip of %d bytes: %v (%d bytes back)", name, len(body), err, len(got))
			}
		}
		if _, err := k.decompressBody([]byte{0, 0, 0, 9, 1, 2}); err == nil {
			t.Fatalf("%s: garbage decompressed", name)
		}
	}
	if _, err := newCompressor("snappy", 5); err != errV5Snappy {
		t.Fatalf("snappy on v5: %v", err)
	}
	if _, err := newCompressor("zstd", 4); err == nil {
		t.Fatal("zstd accepted")
	}
	var none *compressor
	if _, err := none.decompressBody([]byte{1}); err == nil {
		t.Fatal("a compressed body without negotiation was accepted")
	}
}

// An incompressible body still goes out as a valid LZ4 block (literals only).
func TestLZ4Literals(t *testing.T) {
	for _, n := range []int{0, 1, 14, 15, 16, 269, 270, 271, 1000} {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i*7919 + i>>3)
		}
		dst := make([]byte, lz4.CompressBlockBound(n))
		m := lz4Literals(src, dst)
		out := make([]byte, n)
		if k, err := lz4.UncompressBlock(dst[:m], out); err != nil || k != n || !bytes.Equal(out, src) {
			t.Fatalf("n=%d: %v %d", n, err, k)
		}
	}
}

func TestV5CompressedFrames(t *testing.T) {
	k, _ := newCompressor("lz4", 5)
	big := bytes.Repeat([]byte("0123456789abcdef"), 8000) // 128000 bytes, compressible
	var wire []byte
	payloads := [][]byte{[]byte("tiny"), big, make([]byte, 3000)}
	for i, p := range payloads {
		wire = k.appendFrame(wire, p, i != 1)
	}
	if len(wire) > 20000 {
		t.Fatalf("frames not compressed: %d bytes", len(wire))
	}
	for i, want := range payloads {
		for cut := 0; cut < 8; cut++ { // a partial frame is not consumed
			if _, _, used, err := k.parseFrame(wire[:cut]); used != 0 || err != nil {
				t.Fatalf("cut %d: %d %v", cut, used, err)
			}
		}
		p, self, used, err := k.parseFrame(wire)
		if err != nil || used == 0 || self != (i != 1) || !bytes.Equal(p, want) {
			t.Fatalf("frame %d: %v used %d self %v len %d", i, err, used, self, len(p))
		}
		wire = wire[used:]
	}
	f := k.appendFrame(nil, big, true)
	f[2] ^= 1
	if _, _, _, err := k.parseFrame(f); err != errHeaderCRC {
		t.Fatalf("header CRC: %v", err)
	}
	f[2] ^= 1
	f[20] ^= 1
	if _, _, _, err := k.parseFrame(f); err != errPayloadCRC {
		t.Fatalf("payload CRC: %v", err)
	}
	// nil: the uncompressed format.
	var none *compressor
	if p, _, _, err := none.parseFrame(none.appendFrame(nil, []byte("x"), true)); err != nil || string(p) != "x" {
		t.Fatalf("uncompressed: %v %q", err, p)
	}
}

// A whole compressed session over the wire: v4 with LZ4 and Snappy bodies, v5 with LZ4 frames.
// Skipped while the server does not offer compression in SUPPORTED (the STARTUP hooks live in server.go).
func TestCompressedConnection(t *testing.T) {
	probe := pipe(t, options{tokens: 1})
	go probe.Write(request(4, 0, opOptions, nil))
	_, sup := readEnvelope(t, probe)
	r := reader{b: sup}
	offered := false
	for n := int(r.u16()); n > 0; n-- {
		k := r.str()
		for m := int(r.u16()); m > 0; m-- {
			v := r.str()
			offered = offered || (k == "COMPRESSION" && v == "lz4")
		}
	}
	if !offered {
		t.Skip("SUPPORTED offers no compression: server.go does not negotiate it")
	}
	startup := func(name string) []byte {
		b := appendU16(nil, 2)
		b = appendString(appendString(b, "CQL_VERSION"), "3.0.0")
		return appendString(appendString(b, "COMPRESSION"), name)
	}
	query := append(prepareBody("SELECT host_id, rack FROM system.local"), 0, 1, 0)
	for _, name := range []string{"lz4", "snappy"} {
		c := pipe(t, options{tokens: 1})
		k, _ := newCompressor(name, 4)
		go c.Write(request(4, 1, opStartup, startup(name)))
		if h, _ := readEnvelope(t, c); h.opcode != opReady || h.flags&flagCompression != 0 {
			t.Fatalf("%s: READY %+v", name, h)
		}
		// The request compressed by the client, the answer compressed by the server.
		req := request(4, 2, opQuery, query)
		req = k.compressEnvelope(req, 0)
		go c.Write(req)
		h, body := readEnvelope(t, c)
		if h.opcode != opResult || h.flags&flagCompression == 0 {
			t.Fatalf("%s: %+v", name, h)
		}
		plain, err := k.decompressBody(body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rs, ok := parseRowsBody(plain); !ok || len(rs.cols) != 2 || len(rs.rows) != 1 {
			t.Fatalf("%s: rows %v %+v", name, ok, rs)
		}
	}
	c := pipe(t, options{tokens: 1, v5: true})
	go c.Write(request(5, 1, opStartup, startup("lz4")))
	if h, _ := readEnvelope(t, c); h.opcode != opReady {
		t.Fatalf("v5 READY %+v", h)
	}
	k, _ := newCompressor("lz4", 5)
	go c.Write(k.appendFrame(nil, request(5, 2, opQuery, append(prepareBody("SELECT * FROM system.local"), 0, 1, 0, 0, 0)), true))
	var wire []byte
	buf := make([]byte, 65536)
	for {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		wire = append(wire, buf[:n]...)
		p, self, used, err := k.parseFrame(wire)
		if err != nil {
			t.Fatal(err)
		}
		if used == 0 {
			continue
		}
		if h := parseEnvelopeHeader(p); !self || h.opcode != opResult || h.stream != 2 {
			t.Fatalf("v5 answer %+v", h)
		}
		break
	}
}
