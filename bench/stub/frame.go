package main

// Envelopes (the v4 "frame", native_protocol_v4.spec section 2) and the v5 outer framing
// (native_protocol_v5.spec section 2: self-contained frames with a CRC24 header and a CRC32 trailer).

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
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
