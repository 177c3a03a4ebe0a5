package main

// Envelopes (the v4 "frame", native_protocol_v4.spec section 2) and the v5 outer framing
// (native_protocol_v5.spec section 2: self-contained frames with a CRC24 header and a CRC32 trailer).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/golang/snappy"
	"github.com/pierrec/lz4/v4"
)

const (
	envelopeHeaderLen = 9

	opError        = 0x00
	opStartup      = 0x01
	opReady        = 0x02
	opAuthenticate = 0x03
	opOptions      = 0x05
	opSupported    = 0x06
	opQuery        = 0x07
	opResult       = 0x08
	opPrepare      = 0x09
	opExecute      = 0x0A
	opRegister     = 0x0B
	opEvent        = 0x0C
	opBatch        = 0x0D
	opAuthResponse = 0x0F
	opAuthSuccess  = 0x10

	flagCompression   = 0x01
	flagTracing       = 0x02
	flagCustomPayload = 0x04
	flagWarning       = 0x08
	flagBeta          = 0x10

	// The biggest envelope body the stub accepts (the spec's limit is 256 MiB; nothing the stub serves
	// comes close, and a bound stops a garbage length from allocating gigabytes).
	maxEnvelopeBody = 256 << 20

	// v5 section 2.2: a frame's payload is at most 128 KiB - 1.
	maxFramePayload = 131071
	frameHeaderLen  = 6
	frameTrailerLen = 4
)

// envelopeHeader is the 9-byte header of every message: version (high bit set on responses), flags,
// signed 16-bit stream id, opcode, body length.
type envelopeHeader struct {
	version byte
	flags   byte
	stream  int16
	opcode  byte
	length  int
}

func parseEnvelopeHeader(b []byte) envelopeHeader {
	return envelopeHeader{
		version: b[0],
		flags:   b[1],
		stream:  int16(binary.BigEndian.Uint16(b[2:])),
		opcode:  b[4],
		length:  int(binary.BigEndian.Uint32(b[5:])),
	}
}

// appendEnvelopeHeader writes a response header with a zero length; patchEnvelopeLength fills it in
// once the body is written.
func appendEnvelopeHeader(b []byte, version byte, flags byte, stream int16, opcode byte) []byte {
	return append(b, 0x80|version, flags, byte(uint16(stream)>>8), byte(stream), opcode, 0, 0, 0, 0)
}

func patchEnvelopeLength(b []byte, start int) {
	binary.BigEndian.PutUint32(b[start+5:], uint32(len(b)-start-envelopeHeaderLen))
}

// crc24 is the v5 frame header checksum: initial 0x875060, polynomial 0x1974F0B, not reflected,
// no final XOR, fed the header bytes in wire order.
func crc24(b []byte) uint32 {
	crc := uint32(0x875060)
	for _, x := range b {
		crc ^= uint32(x) << 16
		for i := 0; i < 8; i++ {
			crc <<= 1
			if crc&0x1000000 != 0 {
				crc ^= 0x1974F0B
			}
		}
	}
	return crc & 0xFFFFFF
}

// The payload trailer is CRC-32 IEEE over the bytes FA 2D 55 CA followed by the payload.
var crc32Initial = crc32.ChecksumIEEE([]byte{0xFA, 0x2D, 0x55, 0xCA})

func payloadCRC(p []byte) uint32 { return crc32.Update(crc32Initial, crc32.IEEETable, p) }

// appendFrame wraps payload (at most maxFramePayload bytes) in one uncompressed v5 frame.
func appendFrame(b []byte, payload []byte, selfContained bool) []byte {
	h := uint32(len(payload))
	if selfContained {
		h |= 1 << 17
	}
	hdr := [3]byte{byte(h), byte(h >> 8), byte(h >> 16)}
	c := crc24(hdr[:])
	b = append(b, hdr[0], hdr[1], hdr[2], byte(c), byte(c>>8), byte(c>>16))
	b = append(b, payload...)
	return binary.LittleEndian.AppendUint32(b, payloadCRC(payload))
}

var (
	errHeaderCRC  = errors.New("v5 frame header CRC24 mismatch")
	errPayloadCRC = errors.New("v5 frame payload CRC32 mismatch")
)

// parseFrame reads one uncompressed v5 frame from b. It returns the payload, whether the frame is
// self-contained and the total bytes consumed; consumed == 0 means b does not hold the whole frame yet.
func parseFrame(b []byte) (payload []byte, selfContained bool, consumed int, err error) {
	if len(b) < frameHeaderLen {
		return nil, false, 0, nil
	}
	h := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
	if crc24(b[:3]) != uint32(b[3])|uint32(b[4])<<8|uint32(b[5])<<16 {
		return nil, false, 0, errHeaderCRC
	}
	n := int(h & 0x1FFFF)
	total := frameHeaderLen + n + frameTrailerLen
	if len(b) < total {
		return nil, false, 0, nil
	}
	payload = b[frameHeaderLen : frameHeaderLen+n]
	if payloadCRC(payload) != binary.LittleEndian.Uint32(b[frameHeaderLen+n:]) {
		return nil, false, 0, errPayloadCRC
	}
	return payload, h&(1<<17) != 0, total, nil
}

// Compression (native_protocol_v4.spec section 5; native_protocol_v5.spec section 2.2), negotiated by
// the COMPRESSION key of STARTUP. In v4 each envelope body is compressed (flag 0x01 in its header): LZ4
// as a 4-byte big-endian uncompressed length and a raw LZ4 block, Snappy in its raw format. In v5 the
// envelopes are never compressed; whole frames are, LZ4 only.

// supportedCompressions is the COMPRESSION entry of SUPPORTED.
var supportedCompressions = []string{"lz4", "snappy"}

const (
	compressLZ4 = iota + 1
	compressSnappy

	// v5 compressed frame: 5 header bytes (compressed length 17 bits, uncompressed length 17 bits,
	// self-contained flag), their CRC24 in 3 bytes, the payload, its CRC32.
	lz4FrameHeaderLen = 8
	// Below this a frame payload goes out stored (uncompressed length 0), as the spec allows.
	minCompressPayload = 64
)

// compressor is one connection's negotiated algorithm and its reusable buffers. A nil *compressor
// is "no compression": its methods then do what the uncompressed path does.
type compressor struct {
	kind    int
	lz4     lz4.Compressor // keeps its hash table between calls
	scratch []byte         // compressed output before it is copied into place
	plain   []byte         // decompressed input (a v4 body or a v5 payload)
}

var (
	errCompressedBody = errors.New("malformed compressed body")
	errV5Snappy       = errors.New("protocol v5 supports only LZ4 compression")
)

// newCompressor returns the compressor for a STARTUP COMPRESSION value, or an error to answer with.
func newCompressor(name string, version byte) (*compressor, error) {
	switch strings.ToLower(name) {
	case "lz4":
		return &compressor{kind: compressLZ4}, nil
	case "snappy":
		if version >= 5 {
			return nil, errV5Snappy
		}
		return &compressor{kind: compressSnappy}, nil
	}
	return nil, fmt.Errorf("unsupported compression %s", name)
}

// decompressBody decodes a v4 envelope body that carries the compression flag. The result is valid
// until the next call.
func (k *compressor) decompressBody(body []byte) ([]byte, error) {
	if k == nil {
		return nil, errors.New("compression was not negotiated")
	}
	switch k.kind {
	case compressLZ4:
		if len(body) < 4 {
			return nil, errCompressedBody
		}
		n := int(binary.BigEndian.Uint32(body))
		if n > maxEnvelopeBody {
			return nil, errCompressedBody
		}
		k.plain = grow(k.plain, n)
		if n == 0 {
			return k.plain, nil
		}
		m, err := lz4.UncompressBlock(body[4:], k.plain)
		if err != nil || m != n {
			return nil, errCompressedBody
		}
		return k.plain, nil
	default:
		n, err := snappy.DecodedLen(body)
		if err != nil || n > maxEnvelopeBody {
			return nil, errCompressedBody
		}
		out, err := snappy.Decode(grow(k.plain, n), body)
		if err != nil {
			return nil, errCompressedBody
		}
		k.plain = out
		return out, nil
	}
}

// compressEnvelope compresses in place the body of the v4 envelope that starts at wb[start] (its
// length already patched) and sets its compression flag. Every body is compressed, as Cassandra does.
func (k *compressor) compressEnvelope(wb []byte, start int) []byte {
	if k == nil {
		return wb
	}
	body := wb[start+envelopeHeaderLen:]
	switch k.kind {
	case compressLZ4:
		k.scratch = grow(k.scratch, 4+lz4.CompressBlockBound(len(body)))
		binary.BigEndian.PutUint32(k.scratch, uint32(len(body)))
		// An empty body still gets a one-byte block (a token with no literals), as lz4-java writes.
		n, err := k.lz4.CompressBlock(body, k.scratch[4:])
		if err != nil || n == 0 {
			n = lz4Literals(body, k.scratch[4:])
		}
		k.scratch = k.scratch[:4+n]
	default:
		k.scratch = snappy.Encode(grow(k.scratch, snappy.MaxEncodedLen(len(body))), body)
	}
	wb = append(wb[:start+envelopeHeaderLen], k.scratch...)
	wb[start+1] |= flagCompression
	patchEnvelopeLength(wb, start)
	return wb
}

// lz4Literals writes src as one LZ4 sequence of literals only (a valid block for data the
// compressor reports as incompressible) and returns its length; dst has CompressBlockBound bytes.
func lz4Literals(src, dst []byte) int {
	n := len(src)
	p := 0
	if n < 15 {
		dst[p] = byte(n << 4)
		p++
	} else {
		dst[p] = 0xF0
		p++
		for r := n - 15; ; r -= 255 {
			if r < 255 {
				dst[p] = byte(r)
				p++
				break
			}
			dst[p] = 255
			p++
		}
	}
	return p + copy(dst[p:], src)
}

// appendFrame wraps payload in one v5 frame: compressed (LZ4) when compression was negotiated.
func (k *compressor) appendFrame(b []byte, payload []byte, selfContained bool) []byte {
	if k == nil {
		return appendFrame(b, payload, selfContained)
	}
	stored := len(payload) < minCompressPayload
	n := 0
	if !stored {
		k.scratch = grow(k.scratch, lz4.CompressBlockBound(len(payload)))
		var err error
		n, err = k.lz4.CompressBlock(payload, k.scratch)
		stored = err != nil || n == 0 || n >= len(payload)
	}
	data, plainLen := payload, 0
	if !stored {
		data, plainLen = k.scratch[:n], len(payload)
	}
	h := uint64(len(data)) | uint64(plainLen)<<17
	if selfContained {
		h |= 1 << 34
	}
	hdr := [5]byte{byte(h), byte(h >> 8), byte(h >> 16), byte(h >> 24), byte(h >> 32)}
	c := crc24(hdr[:])
	b = append(b, hdr[:]...)
	b = append(b, byte(c), byte(c>>8), byte(c>>16))
	b = append(b, data...)
	return binary.LittleEndian.AppendUint32(b, payloadCRC(data))
}

// parseFrame reads one v5 frame from b, LZ4-compressed when compression was negotiated; the results
// are those of the package-level parseFrame. A decompressed payload is valid until the next call.
func (k *compressor) parseFrame(b []byte) (payload []byte, selfContained bool, consumed int, err error) {
	if k == nil {
		return parseFrame(b)
	}
	if len(b) < lz4FrameHeaderLen {
		return nil, false, 0, nil
	}
	h := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 | uint64(b[4])<<32
	if crc24(b[:5]) != uint32(b[5])|uint32(b[6])<<8|uint32(b[7])<<16 {
		return nil, false, 0, errHeaderCRC
	}
	n := int(h & 0x1FFFF)
	plainLen := int(h >> 17 & 0x1FFFF)
	total := lz4FrameHeaderLen + n + frameTrailerLen
	if len(b) < total {
		return nil, false, 0, nil
	}
	data := b[lz4FrameHeaderLen : lz4FrameHeaderLen+n]
	if payloadCRC(data) != binary.LittleEndian.Uint32(b[lz4FrameHeaderLen+n:]) {
		return nil, false, 0, errPayloadCRC
	}
	payload = data
	if plainLen > 0 {
		k.plain = grow(k.plain, plainLen)
		m, err := lz4.UncompressBlock(data, k.plain)
		if err != nil || m != plainLen {
			return nil, false, 0, errCompressedBody
		}
		payload = k.plain
	}
	return payload, h&(1<<34) != 0, total, nil
}

// grow returns b resized to n bytes, reallocating only when its capacity is short.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n, n+n/4)
	}
	return b[:n]
}
