package main

// QUERY and PREPARE: just enough CQL recognition to answer a driver's control connection, DDL,
// USE, and to prepare INSERT/SELECT/UPDATE/DELETE on catalog tables with correct bind metadata
// (so drivers encode values with the right types and route by the partition key).

import (
	"crypto/md5"
	"regexp"
	"strings"
	"sync"
)

// Error codes, native_protocol_v4.spec section 9.
const (
	errServer         = 0x0000
	errProtocol       = 0x000A
	errBadCredentials = 0x0100
	errSyntax         = 0x2000
	errInvalid        = 0x2200
	errAlreadyExists  = 0x2400
	errUnprepared     = 0x2500
)

const (
	stmtOther = iota
	stmtInsert
	stmtSelect
)

type prepared struct {
	id           []byte
	resultMetaID []byte
	kind         int
	tbl          *table
	bindCols     []column
	pkBind       int    // bind index holding the first partition-key column, -1 if none
	pkSingle     bool   // the partition key is that one column: its value is the routing key
	rf           int    // replication factor of the table's keyspace (for the misrouted counters)
	lwt          bool   // a conditional statement (IF ...): a lightweight transaction
	lwt4, lwt5   []byte // body4/body5 with the LWT bit in the bind metadata flags
	resultCols   []column
	resultPos    []int  // each result column's position in its table (-1 if none)
	resultMeta   []byte // full rows <metadata> for EXECUTE responses
	body4, body5 []byte // RESULT Prepared bodies per protocol version
}

type preparedCache struct {
	mu sync.RWMutex
	m  map[string]*prepared
}

func (p *preparedCache) get(id []byte) *prepared {
	p.mu.RLock()
	s := p.m[string(id)]
	p.mu.RUnlock()
	return s
}

func (p *preparedCache) put(s *prepared) {
	p.mu.Lock()
	p.m[string(s.id)] = s
	p.mu.Unlock()
}

const name = `("[^"]+"|\w+)`
const qname = name + `(?:\s*\.\s*` + name + `)?`

var (
	reSelect      = regexp.MustCompile(`(?is)^\s*select\s+(.*?)\s+from\s+` + qname + `(.*)$`)
	reInsert      = regexp.MustCompile(`(?is)^\s*insert\s+into\s+` + qname + `\s*\(([^)]*)\)\s*values\s*\((.*)\)`)
	reUpdate      = regexp.MustCompile(`(?is)^\s*update\s+` + qname + `\s`)
	reDelete      = regexp.MustCompile(`(?is)^\s*delete\s.*?\bfrom\s+` + qname)
	reBindCol     = regexp.MustCompile(`(?i)("[^"]+"|\w+)\s*(?:=|<=|>=|<|>|\bin\b)\s*(\?|:\w+)`)
	reLimitBind   = regexp.MustCompile(`(?i)\blimit\s+(\?|:\w+)`)
	reUse         = regexp.MustCompile(`(?is)^\s*use\s+` + name + `\s*;?\s*$`)
	reCreateKs    = regexp.MustCompile(`(?is)^\s*create\s+keyspace\s+(if\s+not\s+exists\s+)?` + name + `\s+with\s+(.*)$`)
	reCreateTable = regexp.MustCompile(`(?is)^\s*create\s+(?:table|columnfamily)\s+(if\s+not\s+exists\s+)?` + qname + `\s*\(`)
	reDrop        = regexp.MustCompile(`(?is)^\s*drop\s+(keyspace|table)\s+(if\s+exists\s+)?` + qname)
	reReplPair    = regexp.MustCompile(`'([^']*)'\s*:\s*'?([^',}]*)'?`)
	reWhereEq     = regexp.MustCompile(`(?i)(keyspace_name|table_name)\s*=\s*'([^']*)'`)
	reFirstWord   = regexp.MustCompile(`^\s*(\w+)`)
	reLwt         = regexp.MustCompile(`(?is)\bif\s+(not\s+exists\b|exists\b|("[^"]+"|\w+)\s*(=|!=|<|>|\bin\b))`)
)

var cqlVerbs = map[string]bool{
	"select": true, "insert": true, "update": true, "delete": true, "create": true, "drop": true,
	"alter": true, "use": true, "truncate": true, "begin": true, "apply": true, "grant": true,
	"revoke": true, "list": true,
}

// qualify resolves "ks.t" or "t" (in the session keyspace).
func qualify(a, b, sessionKs string) (string, string) {
	if b == "" {
		return sessionKs, ident(a)
	}
	return ident(a), ident(b)
}

// resultKind + a small body produced by QUERY handling.
type queryResult struct {
	errCode int
	errMsg  string
	body    []byte // RESULT body when errCode < 0
	useKs   string // set when the query was USE
}

func errResult(code int, msg string) queryResult { return queryResult{errCode: code, errMsg: msg} }
func okResult(body []byte) queryResult           { return queryResult{errCode: -1, body: body} }

var voidBody = appendI32(nil, 1)

func schemaChangeBody(change, target, ks, tbl string) []byte {
	b := appendI32(nil, 5)
	b = appendString(b, change)
	b = appendString(b, target)
	b = appendString(b, ks)
	if target == "TABLE" {
		b = appendString(b, tbl)
	}
	return b
}

func emptyRowsBody(ks, tbl string, cols []column) []byte {
	return appendRows(nil, ks, tbl, cols, nil)
}

func (s *server) query(q, sessionKs string) queryResult {
	m := reFirstWord.FindStringSubmatch(q)
	if m == nil || !cqlVerbs[strings.ToLower(m[1])] {
		return errResult(errSyntax, "line 1:0 no viable alternative at input '"+firstToken(q)+"'")
	}
	switch strings.ToLower(m[1]) {
	case "select":
		return s.selectQuery(q, sessionKs)
	case "truncate":
		if strings.Contains(strings.ToLower(q), "simulator.misrouted") {
			s.cl.resetCounters()
		}
		return okResult(voidBody)
	case "use":
		u := reUse.FindStringSubmatch(q)
		if u == nil {
			return errResult(errSyntax, "bad USE statement")
		}
		ks := ident(u[1])
		if !s.cat.hasKeyspace(ks) && !strings.HasPrefix(ks, "system") {
			return errResult(errInvalid, "Keyspace '"+ks+"' does not exist")
		}
		r := okResult(appendString(appendI32(nil, 3), ks))
		r.useKs = ks
		return r
	case "create":
		return s.create(q, sessionKs)
	case "drop":
		d := reDrop.FindStringSubmatch(q)
		if d == nil {
			return okResult(voidBody)
		}
		ifExists := d[2] != ""
		if strings.EqualFold(d[1], "keyspace") {
			ks := ident(d[3])
			if !s.cat.dropKeyspace(ks) {
				if ifExists {
					return okResult(voidBody)
				}
				return errResult(errInvalid, "Keyspace '"+ks+"' doesn't exist")
			}
			return okResult(schemaChangeBody("DROPPED", "KEYSPACE", ks, ""))
		}
		ks, t := qualify(d[3], d[4], sessionKs)
		if !s.cat.dropTable(ks, t) {
			if ifExists {
				return okResult(voidBody)
			}
			return errResult(errInvalid, "Table '"+ks+"."+t+"' doesn't exist")
		}
		return okResult(schemaChangeBody("DROPPED", "TABLE", ks, t))
	}
	return okResult(voidBody)
}

func firstToken(q string) string {
	f := strings.Fields(q)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func (s *server) create(q, sessionKs string) queryResult {
	if m := reCreateKs.FindStringSubmatch(q); m != nil {
		ks := ident(m[2])
		repl := map[string]string{}
		for _, p := range reReplPair.FindAllStringSubmatch(m[3], -1) {
			repl[p[1]] = strings.TrimSpace(p[2])
		}
		if cls, ok := repl["class"]; ok && !strings.Contains(cls, ".") {
			repl["class"] = "org.apache.cassandra.locator." + cls
		}
		if !s.cat.createKeyspace(ks, repl) {
			if m[1] != "" {
				return okResult(voidBody)
			}
			return queryResult{errCode: errAlreadyExists, errMsg: "Keyspace '" + ks + "' already exists", body: alreadyExistsExtra(ks, "")}
		}
		return okResult(schemaChangeBody("CREATED", "KEYSPACE", ks, ""))
	}
	if m := reCreateTable.FindStringSubmatchIndex(q); m != nil {
		ifNotExists := m[2] >= 0
		a := q[m[4]:m[5]]
		b := ""
		if m[6] >= 0 {
			b = q[m[6]:m[7]]
		}
		ks, t := qualify(a, b, sessionKs)
		if ks == "" {
			return errResult(errInvalid, "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
		}
		open := m[1] - 1
		end := matchingParen(q, open)
		if end < 0 {
			return errResult(errSyntax, "unbalanced parentheses in CREATE TABLE")
		}
		switch msg := s.cat.createTable(ks, t, q[open+1:end]); msg {
		case "":
			return okResult(schemaChangeBody("CREATED", "TABLE", ks, t))
		case "exists":
			if ifNotExists {
				return okResult(voidBody)
			}
			return queryResult{errCode: errAlreadyExists, errMsg: "Table '" + ks + "." + t + "' already exists", body: alreadyExistsExtra(ks, t)}
		default:
			return errResult(errInvalid, msg)
		}
	}
	// CREATE INDEX / TYPE / FUNCTION ...: accepted and ignored.
	return okResult(voidBody)
}

func alreadyExistsExtra(ks, t string) []byte { return appendString(appendString(nil, ks), t) }

func matchingParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func (s *server) selectQuery(q, sessionKs string) queryResult {
	m := reSelect.FindStringSubmatch(q)
	if m == nil {
		return errResult(errSyntax, "line 1:0 mismatched input in SELECT")
	}
	ks, t := qualify(m[2], m[3], sessionKs)
	where := m[4]
	filter := func(col string) string {
		for _, w := range reWhereEq.FindAllStringSubmatch(where, -1) {
			if strings.EqualFold(w[1], col) {
				return w[2]
			}
		}
		return ""
	}
	items, star := parseSelectList(m[1])
	var body []byte
	switch ks + "." + t {
	case "system.local":
		body = s.localBody
	case "system.peers":
		body = s.peersBody
	case "system.peers_v2":
		if s.opts.shards > 0 {
			// ScyllaDB has no peers_v2: drivers fall back to system.peers on this error.
			return errResult(errInvalid, "unconfigured table peers_v2")
		}
		body = s.peers2
	case "simulator.misrouted":
		body = s.cl.misroutedBody()
	case "system_schema.keyspaces":
		body = s.cat.keyspacesBody(filter("keyspace_name"))
	case "system_schema.tables":
		body = s.cat.tablesBody(filter("keyspace_name"), filter("table_name"))
	case "system_schema.columns":
		body = s.cat.columnsBody(filter("keyspace_name"), filter("table_name"))
	default:
		if cols, ok := schemaTables[ks+"."+t]; ok {
			body = emptyRowsBody(ks, t, cols)
		} else if strings.HasPrefix(ks, "system") {
			// Any other system table: no rows, but well-formed metadata (drivers decode it before they
			// look at the row count): the asked columns as text, or one placeholder column for *.
			body = emptyRowsBody(ks, t, []column{col("key", typeVarchar)})
			if !star {
				body = (&rowSet{ks: ks, tbl: t}).project(items).body()
			}
			return okResult(body)
		} else {
			tb := s.cat.table(ks, t)
			if tb == nil {
				return errResult(errInvalid, "unconfigured table "+t)
			}
			body = emptyRowsBody(ks, t, tb.cols)
		}
	}
	if !star {
		if rs, ok := parseRowsBody(body); ok {
			body = rs.project(items).body()
		}
	}
	return okResult(body)
}

var (
	reSelectAlias = regexp.MustCompile(`(?is)^(.*?)\s+as\s+("[^"]+"|\w+)$`)
	reCountAll    = regexp.MustCompile(`(?i)^count\s*\(\s*(\*|1)\s*\)$`)
	reIdent       = regexp.MustCompile(`^("[^"]+"|\w+)$`)
)

// parseSelectList reads the select clause of a QUERY: star is true for "*" (the whole table);
// otherwise one item per selector, with its alias. DISTINCT and JSON are ignored.
func parseSelectList(sel string) (items []selItem, star bool) {
	sel = strings.TrimSpace(sel)
	for _, kw := range []string{"distinct ", "json "} {
		if len(sel) > len(kw) && strings.EqualFold(sel[:len(kw)], kw) {
			sel = strings.TrimSpace(sel[len(kw):])
		}
	}
	if sel == "*" {
		return nil, true
	}
	for _, part := range splitTopLevel(sel) {
		part = strings.TrimSpace(part)
		alias := ""
		if m := reSelectAlias.FindStringSubmatch(part); m != nil {
			part, alias = strings.TrimSpace(m[1]), ident(m[2])
		}
		it := selItem{}
		switch {
		case reCountAll.MatchString(part):
			it = selItem{as: "count", count: true}
		case reIdent.MatchString(part):
			it = selItem{source: ident(part), as: ident(part)}
		default: // a function call or term the stub does not evaluate: a null column named after it
			it = selItem{as: strings.ToLower(strings.Join(strings.Fields(part), ""))}
		}
		if alias != "" {
			it.as = alias
		}
		items = append(items, it)
	}
	return items, false
}

// prepare builds the PREPARED result for q, or an error result.
func (s *server) prepare(q, sessionKs string) (*prepared, queryResult) {
	p := &prepared{pkBind: -1}
	sum := md5.Sum([]byte(sessionKs + "\x00" + q))
	p.id = sum[:]
	var bindNames []string
	var ks, t string
	switch {
	case reInsert.MatchString(q):
		m := reInsert.FindStringSubmatch(q)
		ks, t = qualify(m[1], m[2], sessionKs)
		cols := splitIdents(m[3])
		vals := splitTopLevel(m[4])
		for i, v := range vals {
			v = strings.TrimSpace(v)
			if i < len(cols) && (v == "?" || strings.HasPrefix(v, ":")) {
				bindNames = append(bindNames, cols[i])
			}
		}
		p.kind = stmtInsert
		p.lwt = reLwt.MatchString(q[len(m[0]):])
	case reSelect.MatchString(q):
		m := reSelect.FindStringSubmatch(q)
		ks, t = qualify(m[2], m[3], sessionKs)
		p.kind = stmtSelect
		bindNames = bindColumns(m[4])
		p.tbl = s.cat.table(ks, t)
		if p.tbl != nil {
			sel := strings.TrimSpace(m[1])
			if sel == "*" {
				p.resultCols = p.tbl.cols
				for i := range p.tbl.cols {
					p.resultPos = append(p.resultPos, i)
				}
			} else {
				for _, n := range splitIdents(sel) {
					i, ok := p.tbl.index[n]
					if !ok {
						return nil, errResult(errInvalid, "Undefined column name "+n)
					}
					p.resultCols = append(p.resultCols, p.tbl.cols[i])
					p.resultPos = append(p.resultPos, i)
				}
			}
		}
	case reUpdate.MatchString(q):
		m := reUpdate.FindStringSubmatch(q)
		ks, t = qualify(m[1], m[2], sessionKs)
		bindNames = bindColumns(q[len(m[0]):])
		p.lwt = reLwt.MatchString(q)
	case reDelete.MatchString(q):
		m := reDelete.FindStringSubmatch(q)
		ks, t = qualify(m[1], m[2], sessionKs)
		bindNames = bindColumns(q[len(m[0]):])
		p.lwt = reLwt.MatchString(q)
	default:
		if m := reFirstWord.FindStringSubmatch(q); m == nil || !cqlVerbs[strings.ToLower(m[1])] {
			return nil, errResult(errSyntax, "line 1:0 no viable alternative at input '"+firstToken(q)+"'")
		}
		return nil, errResult(errInvalid, "the stub cannot prepare this statement")
	}
	if ks == "" {
		return nil, errResult(errInvalid, "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
	}
	if p.tbl == nil {
		p.tbl = s.cat.table(ks, t)
	}
	if p.tbl == nil {
		return nil, errResult(errInvalid, "unconfigured table "+t)
	}
	for _, n := range bindNames {
		if n == "[limit]" {
			p.bindCols = append(p.bindCols, col("[limit]", typeInt))
			continue
		}
		i, ok := p.tbl.index[n]
		if !ok {
			return nil, errResult(errInvalid, "Undefined column name "+n)
		}
		p.bindCols = append(p.bindCols, p.tbl.cols[i])
	}
	// Partition key indexes: the bind position of each partition-key column, in key order
	// (v4 section 4.2.5.4); none when a key column is not bound.
	var pkIdx []int
	for _, kp := range p.tbl.pk {
		found := -1
		for j, c := range p.bindCols {
			if c.name == p.tbl.cols[kp].name {
				found = j
				break
			}
		}
		if found < 0 {
			pkIdx = nil
			break
		}
		pkIdx = append(pkIdx, found)
	}
	if len(pkIdx) > 0 {
		p.pkBind = pkIdx[0]
		p.pkSingle = len(pkIdx) == 1
	}
	p.rf = s.cat.replicationFactor(ks)
	rsum := md5.Sum(append([]byte("result"), p.id...))
	p.resultMetaID = rsum[:]
	if p.kind == stmtSelect {
		p.resultMeta = appendRowsMetadata(nil, ks, t, p.resultCols, false)
	} else {
		p.resultMeta = appendRowsMetadata(nil, ks, t, nil, true)
	}
	// <metadata> of the bind variables: flags (global table spec), columns_count, pk_count, pk
	// indexes, then the table spec and the column specs.
	var meta []byte
	meta = appendI32(meta, 0x0001)
	meta = appendI32(meta, int32(len(p.bindCols)))
	meta = appendI32(meta, int32(len(pkIdx)))
	for _, i := range pkIdx {
		meta = appendU16(meta, uint16(i))
	}
	meta = appendString(meta, ks)
	meta = appendString(meta, t)
	for i := range p.bindCols {
		meta = appendString(meta, p.bindCols[i].name)
		meta = append(meta, p.bindCols[i].typ...)
	}
	b := appendI32(nil, 4)
	b = appendShortBytes(b, p.id)
	off4 := len(b)
	p.body4 = append(append(append([]byte{}, b...), meta...), p.resultMeta...)
	b = appendShortBytes(b, p.resultMetaID)
	off5 := len(b)
	p.body5 = append(append(b, meta...), p.resultMeta...)
	if p.lwt {
		// ScyllaDB's LWT mark (protocol-extensions.md "LWT prepared statements metadata mark"): the
		// mask bit in the bind metadata flags, for connections that echoed the key in STARTUP.
		p.lwt4 = orFlags(p.body4, off4, lwtMask)
		p.lwt5 = orFlags(p.body5, off5, lwtMask)
	}
	return p, okResult(nil)
}

func bindColumns(s string) []string {
	var out []string
	for _, m := range reBindCol.FindAllStringSubmatch(s, -1) {
		out = append(out, ident(m[1]))
	}
	if reLimitBind.MatchString(s) {
		out = append(out, "[limit]")
	}
	return out
}

// lwtMask is the LWT_OPTIMIZATION_META_BIT_MASK value ScyllaDB announces.
const lwtMask = 0x80000000

func orFlags(body []byte, off int, mask uint32) []byte {
	out := append([]byte{}, body...)
	f := uint32(out[off])<<24 | uint32(out[off+1])<<16 | uint32(out[off+2])<<8 | uint32(out[off+3])
	f |= mask
	out[off], out[off+1], out[off+2], out[off+3] = byte(f>>24), byte(f>>16), byte(f>>8), byte(f)
	return out
}
