package main

// The stub's schema: keyspaces and tables created with CREATE (parsed just enough to know column
// names, simple types and the partition key), pre-seeded with the benchmark's table, and the
// encoding of rows metadata (native_protocol_v4.spec section 4.2.5.2).

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// CQL type option ids, native_protocol_v4.spec section 6 ([option] of a column spec).
const (
	typeCustom    = 0x0000
	typeASCII     = 0x0001
	typeBigint    = 0x0002
	typeBlob      = 0x0003
	typeBoolean   = 0x0004
	typeCounter   = 0x0005
	typeDecimal   = 0x0006
	typeDouble    = 0x0007
	typeFloat     = 0x0008
	typeInt       = 0x0009
	typeTimestamp = 0x000B
	typeUUID      = 0x000C
	typeVarchar   = 0x000D
	typeVarint    = 0x000E
	typeTimeuuid  = 0x000F
	typeInet      = 0x0010
	typeDate      = 0x0011
	typeTime      = 0x0012
	typeSmallint  = 0x0013
	typeTinyint   = 0x0014
	typeList      = 0x0020
	typeMap       = 0x0021
	typeSet       = 0x0022
)

var simpleTypes = map[string]uint16{
	"ascii": typeASCII, "bigint": typeBigint, "blob": typeBlob, "boolean": typeBoolean,
	"counter": typeCounter, "decimal": typeDecimal, "double": typeDouble, "float": typeFloat,
	"int": typeInt, "timestamp": typeTimestamp, "uuid": typeUUID, "varchar": typeVarchar,
	"text": typeVarchar, "varint": typeVarint, "timeuuid": typeTimeuuid, "inet": typeInet,
	"date": typeDate, "time": typeTime, "smallint": typeSmallint, "tinyint": typeTinyint,
}

// column is a column spec: its name, its encoded [option] and the option id.
type column struct {
	name    string
	typeID  uint16
	typ     []byte
	cqlType string
	kind    string // partition_key | clustering | regular (system_schema.columns)
}

func simpleType(id uint16) []byte { return appendU16(nil, id) }

func col(name string, id uint16) column { return column{name: name, typeID: id, typ: simpleType(id)} }

var setOfText = append(simpleType(typeSet), simpleType(typeVarchar)...)
var mapOfTextText = append(append(simpleType(typeMap), simpleType(typeVarchar)...), simpleType(typeVarchar)...)

type table struct {
	ks, name string
	cols     []column
	index    map[string]int
	pk       []int // positions of the partition key columns, in key order
	ck       []int // positions of the clustering columns, in key order
}

type keyspace struct {
	name        string
	replication map[string]string
	tables      map[string]*table
}

type catalog struct {
	mu        sync.RWMutex
	keyspaces map[string]*keyspace
}

func newCatalog() *catalog {
	c := &catalog{keyspaces: map[string]*keyspace{}}
	c.createKeyspace("benchks", map[string]string{
		"class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": "1",
	})
	c.createTable("benchks", "benchtab", "pk bigint PRIMARY KEY, v1 bigint, v2 bigint")
	return c
}

func (c *catalog) createKeyspace(name string, repl map[string]string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.keyspaces[name]; ok {
		return false
	}
	c.keyspaces[name] = &keyspace{name: name, replication: repl, tables: map[string]*table{}}
	return true
}

// replicationFactor of keyspace ks: SimpleStrategy's replication_factor, else the largest per-DC
// factor (every simulated node is in datacenter1); 1 when unknown.
func (c *catalog) replicationFactor(ks string) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	k := c.keyspaces[ks]
	if k == nil {
		return 1
	}
	rf := 0
	for name, v := range k.replication {
		if name == "class" {
			continue
		}
		if n, err := strconv.Atoi(v); err == nil && n > rf {
			rf = n
		}
	}
	return max(rf, 1)
}

func (c *catalog) dropKeyspace(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.keyspaces[name]
	delete(c.keyspaces, name)
	return ok
}

func (c *catalog) dropTable(ks, name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.keyspaces[ks]
	if k == nil || k.tables[name] == nil {
		return false
	}
	delete(k.tables, name)
	return true
}

func (c *catalog) table(ks, name string) *table {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if k := c.keyspaces[ks]; k != nil {
		return k.tables[name]
	}
	return nil
}

func (c *catalog) hasKeyspace(ks string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.keyspaces[ks] != nil
}

var rePrimaryKey = regexp.MustCompile(`(?is)^primary\s+key\s*\((.*)\)$`)

// createTable parses a column definition list such as "pk bigint PRIMARY KEY, v text" or
// "a int, b int, c text, PRIMARY KEY ((a, b), c)". Collection and unknown types are kept as blob:
// the stub never interprets their values. It returns "" on success or the error message.
func (c *catalog) createTable(ks, name, defs string) string {
	t := &table{ks: ks, name: name, index: map[string]int{}}
	var pkNames, ckNames []string
	for _, part := range splitTopLevel(defs) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if m := rePrimaryKey.FindStringSubmatch(part); m != nil {
			keys := strings.TrimSpace(m[1])
			if strings.HasPrefix(keys, "(") {
				end := strings.Index(keys, ")")
				if end < 0 {
					return "bad PRIMARY KEY"
				}
				pkNames = splitIdents(keys[1:end])
				ckNames = splitIdents(strings.TrimPrefix(strings.TrimSpace(keys[end+1:]), ","))
			} else {
				ids := splitIdents(keys)
				pkNames, ckNames = ids[:1], ids[1:]
			}
			continue
		}
		fields := strings.Fields(part)
		if len(fields) < 2 {
			return "bad column definition: " + part
		}
		cname := ident(fields[0])
		tname := strings.ToLower(fields[1])
		id, ok := simpleTypes[tname]
		if !ok {
			id = typeBlob
		}
		cl := col(cname, id)
		cl.cqlType = tname
		cl.kind = "regular"
		t.index[cname] = len(t.cols)
		t.cols = append(t.cols, cl)
		if len(fields) >= 4 && strings.EqualFold(fields[2], "primary") && strings.EqualFold(fields[3], "key") {
			pkNames = []string{cname}
		}
	}
	if len(pkNames) == 0 {
		return "no PRIMARY KEY specified for table " + name
	}
	for _, n := range pkNames {
		i, ok := t.index[n]
		if !ok {
			return "unknown key column " + n
		}
		t.pk = append(t.pk, i)
		t.cols[i].kind = "partition_key"
	}
	for _, n := range ckNames {
		if i, ok := t.index[n]; ok {
			t.cols[i].kind = "clustering"
			t.ck = append(t.ck, i)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.keyspaces[ks]
	if k == nil {
		return "Keyspace " + ks + " does not exist"
	}
	if _, ok := k.tables[name]; ok {
		return "exists"
	}
	k.tables[name] = t
	return ""
}

// splitTopLevel splits s at commas that are not inside parentheses or angle brackets.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '<':
			depth++
		case ')', '>':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func splitIdents(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, ident(p))
		}
	}
	return out
}

// ident normalizes a CQL identifier: quoted identifiers keep their case, others are lower-cased.
func ident(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return strings.ToLower(s)
}

// appendRowsMetadata writes a rows <metadata> with the global table spec (flag 0x0001), or with
// flag 0x0004 (no metadata, just the column count) when noMeta is set.
func appendRowsMetadata(b []byte, ks, tbl string, cols []column, noMeta bool) []byte {
	if noMeta {
		b = appendI32(b, 0x0004)
		return appendI32(b, int32(len(cols)))
	}
	b = appendI32(b, 0x0001)
	b = appendI32(b, int32(len(cols)))
	b = appendString(b, ks)
	b = appendString(b, tbl)
	for i := range cols {
		b = appendString(b, cols[i].name)
		b = append(b, cols[i].typ...)
	}
	return b
}
