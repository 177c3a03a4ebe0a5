package main

// Big-endian encoding helpers for the CQL message bodies ([short], [int], [string], [bytes], ...),
// native_protocol_v4.spec section 3 "Notations". Appenders grow a caller-owned slice so a connection
// reuses one output buffer for every response.

import "encoding/binary"

func appendU16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func appendI32(b []byte, v int32) []byte  { return binary.BigEndian.AppendUint32(b, uint32(v)) }
func appendI64(b []byte, v int64) []byte  { return binary.BigEndian.AppendUint64(b, uint64(v)) }

// appendString writes a [string]: a [short] n followed by n bytes of UTF-8.
func appendString(b []byte, s string) []byte {
	b = appendU16(b, uint16(len(s)))
	return append(b, s...)
}

// appendShortBytes writes [short bytes]: a [short] n followed by n bytes.
func appendShortBytes(b []byte, v []byte) []byte {
	b = appendU16(b, uint16(len(v)))
	return append(b, v...)
}

// appendBytes writes [bytes]: an [int] n followed by n bytes; a nil slice is written as null (n = -1).
func appendBytes(b []byte, v []byte) []byte {
	if v == nil {
		return appendI32(b, -1)
	}
	b = appendI32(b, int32(len(v)))
	return append(b, v...)
}

func appendStringList(b []byte, l []string) []byte {
	b = appendU16(b, uint16(len(l)))
	for _, s := range l {
		b = appendString(b, s)
	}
	return b
}

// reader is a bounds-checked cursor over a request body. A read past the end sets bad and returns
// zero values, so a handler checks bad once at the end instead of after every field.
type reader struct {
	b   []byte
	p   int
	bad bool
}

func (r *reader) need(n int) bool {
	if n < 0 || r.p+n > len(r.b) {
		r.bad = true
		r.p = len(r.b)
		return false
	}
	return true
}

func (r *reader) u8() byte {
	if !r.need(1) {
		return 0
	}
	v := r.b[r.p]
	r.p++
	return v
}

func (r *reader) u16() uint16 {
	if !r.need(2) {
		return 0
	}
	v := binary.BigEndian.Uint16(r.b[r.p:])
	r.p += 2
	return v
}

func (r *reader) i32() int32 {
	if !r.need(4) {
		return 0
	}
	v := int32(binary.BigEndian.Uint32(r.b[r.p:]))
	r.p += 4
	return v
}

func (r *reader) raw(n int) []byte {
	if !r.need(n) {
		return nil
	}
	v := r.b[r.p : r.p+n]
	r.p += n
	return v
}

func (r *reader) str() string        { return string(r.raw(int(r.u16()))) }
func (r *reader) longStr() string    { return string(r.raw(int(r.i32()))) }
func (r *reader) shortBytes() []byte { return r.raw(int(r.u16())) }

// bytesVal reads [bytes]; a negative length is null (nil), -2 is "unset" in v4+ (also nil here).
func (r *reader) bytesVal() []byte {
	n := r.i32()
	if n < 0 {
		return nil
	}
	return r.raw(int(n))
}

func (r *reader) stringMap() map[string]string {
	n := int(r.u16())
	m := make(map[string]string, n)
	for i := 0; i < n && !r.bad; i++ {
		k := r.str()
		m[k] = r.str()
	}
	return m
}

// skipBytesMap skips a [bytes map] (the custom payload of a request with flag 0x04).
func (r *reader) skipBytesMap() {
	n := int(r.u16())
	for i := 0; i < n && !r.bad; i++ {
		r.str()
		r.bytesVal()
	}
}
