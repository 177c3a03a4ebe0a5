package main

// The system tables a driver's control connection reads: system.local (one row for this node),
// system.peers and system.peers_v2 (no rows: a single-node cluster), system_schema.keyspaces,
// tables and columns (from the catalog). Columns follow Cassandra 5.0's tables for the ones drivers read.

import (
	"math/big"
	"net"
	"strconv"
)

var (
	hostID        = []byte{0x5e, 0x1f, 0x6a, 0x32, 0x1c, 0x4b, 0x4d, 0x1e, 0x9a, 0x77, 0x25, 0x6c, 0x0d, 0x3b, 0x8e, 0x01}
	schemaVersion = []byte{0x7c, 0x0b, 0x3e, 0x2e, 0x5a, 0x1d, 0x3f, 0x5c, 0x8a, 0x40, 0x13, 0x6e, 0x2f, 0x44, 0x90, 0x02}
)

func setCol(name string) column { return column{name: name, typeID: typeSet, typ: setOfText} }

var localCols = []column{
	col("key", typeVarchar), col("bootstrapped", typeVarchar), col("broadcast_address", typeInet),
	col("broadcast_port", typeInt), col("cluster_name", typeVarchar), col("cql_version", typeVarchar),
	col("data_center", typeVarchar), col("host_id", typeUUID), col("listen_address", typeInet),
	col("listen_port", typeInt), col("native_protocol_version", typeVarchar), col("partitioner", typeVarchar),
	col("rack", typeVarchar), col("release_version", typeVarchar), col("rpc_address", typeInet),
	col("rpc_port", typeInt), col("schema_version", typeUUID), setCol("tokens"),
}

var peersCols = []column{
	col("peer", typeInet), col("data_center", typeVarchar), col("host_id", typeUUID),
	col("preferred_ip", typeInet), col("rack", typeVarchar), col("release_version", typeVarchar),
	col("rpc_address", typeInet), col("schema_version", typeUUID), setCol("tokens"),
}

var peersV2Cols = []column{
	col("peer", typeInet), col("peer_port", typeInt), col("data_center", typeVarchar),
	col("host_id", typeUUID), col("native_address", typeInet), col("native_port", typeInt),
	col("preferred_ip", typeInet), col("preferred_port", typeInt), col("rack", typeVarchar),
	col("release_version", typeVarchar), col("schema_version", typeUUID), setCol("tokens"),
}

// The system_schema tables as Cassandra 5.0 defines them (SchemaKeyspaceTables), so `SELECT *` gives a
// driver every column it may look up by name; the stub fills the ones it knows and leaves the others null.
var keyspacesCols = []column{
	col("keyspace_name", typeVarchar), col("durable_writes", typeBoolean), mapCol("replication", typeVarchar),
}

var tableOptionCols = []column{
	col("additional_write_policy", typeVarchar), col("allow_auto_snapshot", typeBoolean),
	col("bloom_filter_fp_chance", typeDouble), mapCol("caching", typeVarchar), col("cdc", typeBoolean),
	col("comment", typeVarchar), mapCol("compaction", typeVarchar), mapCol("compression", typeVarchar),
	col("crc_check_chance", typeDouble), col("default_time_to_live", typeInt), mapCol("extensions", typeBlob),
	col("gc_grace_seconds", typeInt), col("id", typeUUID), col("incremental_backups", typeBoolean),
	col("max_index_interval", typeInt), col("memtable", typeVarchar), col("memtable_flush_period_in_ms", typeInt),
	col("min_index_interval", typeInt), col("read_repair", typeVarchar), col("speculative_retry", typeVarchar),
}

var tablesCols = append([]column{col("keyspace_name", typeVarchar), col("table_name", typeVarchar), setCol("flags")},
	tableOptionCols...)

var columnsCols = []column{
	col("keyspace_name", typeVarchar), col("table_name", typeVarchar), col("column_name", typeVarchar),
	col("clustering_order", typeVarchar), col("column_name_bytes", typeBlob), col("kind", typeVarchar),
	col("position", typeInt), col("type", typeVarchar),
}

// schemaTables lists the other tables drivers read on connect (all empty here: the stub has no UDTs,
// functions, indexes, views or triggers), keyed "keyspace.table".
var schemaTables = map[string][]column{
	"system_schema.dropped_columns": {col("keyspace_name", typeVarchar), col("table_name", typeVarchar),
		col("column_name", typeVarchar), col("dropped_time", typeTimestamp), col("kind", typeVarchar), col("type", typeVarchar)},
	"system_schema.triggers": {col("keyspace_name", typeVarchar), col("table_name", typeVarchar),
		col("trigger_name", typeVarchar), mapCol("options", typeVarchar)},
	"system_schema.types": {col("keyspace_name", typeVarchar), col("type_name", typeVarchar),
		listCol("field_names"), listCol("field_types")},
	"system_schema.functions": {col("keyspace_name", typeVarchar), col("function_name", typeVarchar),
		listCol("argument_types"), listCol("argument_names"), col("body", typeVarchar),
		col("called_on_null_input", typeBoolean), col("language", typeVarchar), col("return_type", typeVarchar)},
	"system_schema.aggregates": {col("keyspace_name", typeVarchar), col("aggregate_name", typeVarchar),
		listCol("argument_types"), col("final_func", typeVarchar), col("initcond", typeVarchar),
		col("return_type", typeVarchar), col("state_func", typeVarchar), col("state_type", typeVarchar)},
	"system_schema.indexes": {col("keyspace_name", typeVarchar), col("table_name", typeVarchar),
		col("index_name", typeVarchar), col("kind", typeVarchar), mapCol("options", typeVarchar)},
	"system_schema.views": append([]column{col("keyspace_name", typeVarchar), col("view_name", typeVarchar),
		col("base_table_id", typeUUID), col("base_table_name", typeVarchar), col("include_all_columns", typeBoolean),
		col("where_clause", typeVarchar)}, tableOptionCols...),
	"system_virtual_schema.keyspaces": {col("keyspace_name", typeVarchar)},
	"system_virtual_schema.tables": {col("keyspace_name", typeVarchar), col("table_name", typeVarchar),
		col("comment", typeVarchar)},
	"system_virtual_schema.columns": {col("keyspace_name", typeVarchar), col("table_name", typeVarchar),
		col("column_name", typeVarchar), col("clustering_order", typeVarchar), col("column_name_bytes", typeBlob),
		col("kind", typeVarchar), col("position", typeInt), col("type", typeVarchar)},
}

func mapCol(name string, valueType uint16) column {
	typ := append(append(simpleType(typeMap), simpleType(typeVarchar)...), simpleType(valueType)...)
	return column{name: name, typeID: typeMap, typ: typ}
}

func listCol(name string) column {
	return column{name: name, typeID: typeList, typ: append(simpleType(typeList), simpleType(typeVarchar)...)}
}

// rowOf lays out cells given by column name in the order of cols; the others are null.
func rowOf(cols []column, cells map[string][]byte) [][]byte {
	r := make([][]byte, len(cols))
	for i := range cols {
		r[i] = cells[cols[i].name]
	}
	return r
}

// ringTokens spreads n tokens evenly over the Murmur3 range: token i is the end of range i.
func ringTokens(n int) []string {
	span := new(big.Int).Lsh(big.NewInt(1), 64)
	min := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 63))
	out := make([]string, n)
	for i := 0; i < n; i++ {
		t := new(big.Int).Mul(span, big.NewInt(int64(i+1)))
		t.Div(t, big.NewInt(int64(n)))
		t.Add(t, min)
		t.Sub(t, big.NewInt(1))
		out[i] = t.String()
	}
	return out
}

func cellText(s string) []byte { return []byte(s) }
func cellInt(v int32) []byte   { return appendI32(nil, v) }

func cellSetOfText(l []string) []byte {
	b := appendI32(nil, int32(len(l)))
	for _, s := range l {
		b = appendBytes(b, []byte(s))
	}
	return b
}

func cellMapOfText(m map[string]string) []byte {
	b := appendI32(nil, int32(len(m)))
	for k, v := range m {
		b = appendBytes(b, []byte(k))
		b = appendBytes(b, []byte(v))
	}
	return b
}

// appendRows writes a whole RESULT Rows body (kind 2).
func appendRows(b []byte, ks, tbl string, cols []column, rows [][][]byte) []byte {
	b = appendI32(b, 2)
	b = appendRowsMetadata(b, ks, tbl, cols, false)
	b = appendI32(b, int32(len(rows)))
	for _, r := range rows {
		for _, cell := range r {
			b = appendBytes(b, cell)
		}
	}
	return b
}

// localRowsBody builds the RESULT body for system.local once at start-up.
func localRowsBody(ip net.IP, port int, nativeVersion string, tokens []string, id []byte) []byte {
	ip4 := ip.To4()
	addr := []byte(ip4)
	if ip4 == nil {
		addr = []byte(ip.To16())
	}
	row := [][]byte{
		cellText("local"), cellText("COMPLETED"), addr, cellInt(7000), cellText("shardcql stub"),
		cellText("3.4.7"), cellText("datacenter1"), id, addr, cellInt(7000), cellText(nativeVersion),
		cellText("org.apache.cassandra.dht.Murmur3Partitioner"), cellText("rack1"), cellText("5.0.0"),
		addr, cellInt(int32(port)), schemaVersion, cellSetOfText(tokens),
	}
	return appendRows(nil, "system", "local", localCols, [][][]byte{row})
}

func (c *catalog) keyspacesBody(only string) []byte {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var rows [][][]byte
	for _, k := range c.keyspaces {
		if only != "" && k.name != only {
			continue
		}
		rows = append(rows, rowOf(keyspacesCols, map[string][]byte{
			"keyspace_name": cellText(k.name), "durable_writes": {1}, "replication": cellMapOfText(k.replication)}))
	}
	return appendRows(nil, "system_schema", "keyspaces", keyspacesCols, rows)
}

func (c *catalog) tablesBody(onlyKs, onlyTable string) []byte {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var rows [][][]byte
	for _, k := range c.keyspaces {
		for _, t := range k.tables {
			if (onlyKs != "" && k.name != onlyKs) || (onlyTable != "" && t.name != onlyTable) {
				continue
			}
			rows = append(rows, rowOf(tablesCols, map[string][]byte{
				"keyspace_name": cellText(k.name), "table_name": cellText(t.name),
				"flags": cellSetOfText([]string{"compound"}), "comment": cellText(""),
				"default_time_to_live": cellInt(0), "gc_grace_seconds": cellInt(864000),
				"caching": cellMapOfText(map[string]string{"keys": "ALL", "rows_per_partition": "NONE"}),
				"compaction": cellMapOfText(map[string]string{
					"class": "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy"}),
				"compression": cellMapOfText(map[string]string{}), "extensions": cellMapOfText(map[string]string{}),
				"speculative_retry": cellText("99p"), "read_repair": cellText("BLOCKING")}))
		}
	}
	return appendRows(nil, "system_schema", "tables", tablesCols, rows)
}

func (c *catalog) columnsBody(onlyKs, onlyTable string) []byte {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var rows [][][]byte
	for _, k := range c.keyspaces {
		for _, t := range k.tables {
			if (onlyKs != "" && k.name != onlyKs) || (onlyTable != "" && t.name != onlyTable) {
				continue
			}
			for i, cl := range t.cols {
				// position: the index in the partition key or among the clustering columns, -1 otherwise.
				pos, order := int32(-1), "none"
				for j, p := range t.pk {
					if p == i {
						pos = int32(j)
					}
				}
				for j, p := range t.ck {
					if p == i {
						pos, order = int32(j), "asc"
					}
				}
				typ := cl.cqlType
				if typ == "" {
					typ = "blob"
				}
				rows = append(rows, rowOf(columnsCols, map[string][]byte{
					"keyspace_name": cellText(k.name), "table_name": cellText(t.name), "column_name": cellText(cl.name),
					"clustering_order": cellText(order), "column_name_bytes": []byte(cl.name), "kind": cellText(cl.kind),
					"position": cellInt(pos), "type": cellText(typ)}))
			}
		}
	}
	return appendRows(nil, "system_schema", "columns", columnsCols, rows)
}

func itoa(i int) string { return strconv.Itoa(i) }

func inetCell(ip net.IP) []byte {
	if ip4 := ip.To4(); ip4 != nil {
		return []byte(ip4)
	}
	return []byte(ip.To16())
}

// peersBodies builds system.peers and system.peers_v2 for node `self`: one row per other node, with
// the tokens the cluster gave it (so a driver's ring is the simulator's ring).
func peersBodies(cl *cluster, self, port int) ([]byte, []byte) {
	var rows, rows2 [][][]byte
	for i, n := range cl.nodes {
		if i == self {
			continue
		}
		a := inetCell(n.ip)
		rows = append(rows, [][]byte{a, cellText("datacenter1"), n.hostID, a, cellText("rack1"), cellText("5.0.0"),
			a, schemaVersion, cellSetOfText(n.tokens)})
		rows2 = append(rows2, [][]byte{a, cellInt(7000), cellText("datacenter1"), n.hostID, a, cellInt(int32(port)),
			a, cellInt(7000), cellText("rack1"), cellText("5.0.0"), schemaVersion, cellSetOfText(n.tokens)})
	}
	return appendRows(nil, "system", "peers", peersCols, rows), appendRows(nil, "system", "peers_v2", peersV2Cols, rows2)
}

// rowSet is a Rows result decoded back into cells, so that any system table body (built once, or
// built by another file) can be answered with the columns a SELECT asks for.
type rowSet struct {
	ks, tbl string
	cols    []column
	rows    [][][]byte
}

// skipOption skips one [option] (native_protocol_v4.spec section 4.2.5.2) and returns its bytes.
func skipOption(r *reader) []byte {
	start := r.p
	switch id := r.u16(); id {
	case typeCustom:
		r.str()
	case typeList, typeSet:
		skipOption(r)
	case typeMap:
		skipOption(r)
		skipOption(r)
	case 0x0030: // UDT: keyspace, name, n fields of (name, type)
		r.str()
		r.str()
		n := int(r.u16())
		for i := 0; i < n && !r.bad; i++ {
			r.str()
			skipOption(r)
		}
	case 0x0031: // tuple: n types
		n := int(r.u16())
		for i := 0; i < n && !r.bad; i++ {
			skipOption(r)
		}
	}
	if r.bad {
		return nil
	}
	return r.b[start:r.p]
}

// parseRowsBody decodes a RESULT Rows body written by appendRows (global table spec, no paging).
func parseRowsBody(b []byte) (rowSet, bool) {
	r := reader{b: b}
	var rs rowSet
	if r.i32() != 2 || r.i32() != 0x0001 {
		return rs, false
	}
	n := int(r.i32())
	rs.ks, rs.tbl = r.str(), r.str()
	for i := 0; i < n && !r.bad; i++ {
		name := r.str()
		typ := skipOption(&r)
		if len(typ) < 2 {
			return rs, false
		}
		rs.cols = append(rs.cols, column{name: name, typeID: uint16(typ[0])<<8 | uint16(typ[1]), typ: typ})
	}
	rows := int(r.i32())
	for i := 0; i < rows && !r.bad; i++ {
		row := make([][]byte, n)
		for j := range row {
			row[j] = r.bytesVal()
		}
		rs.rows = append(rs.rows, row)
	}
	return rs, !r.bad && r.p == len(b)
}

// selItem is one entry of a select list: a column (or a function call the stub does not evaluate,
// answered as null) and the name of its result column.
type selItem struct {
	source string
	as     string
	count  bool // count(*) / count(1): the number of rows
}

// project answers a select list: the asked columns in the asked order; a column the table does not
// have comes back as a null text column (drivers probe optional columns; a null is what they handle).
func (rs *rowSet) project(items []selItem) rowSet {
	out := rowSet{ks: rs.ks, tbl: rs.tbl}
	idx := make([]int, len(items))
	counting := false
	for i, it := range items {
		idx[i] = -1
		if it.count {
			counting = true
			out.cols = append(out.cols, col(it.as, typeBigint))
			continue
		}
		for j := range rs.cols {
			if rs.cols[j].name == it.source {
				idx[i] = j
				break
			}
		}
		if idx[i] >= 0 {
			c := rs.cols[idx[i]]
			c.name = it.as
			out.cols = append(out.cols, c)
		} else {
			out.cols = append(out.cols, col(it.as, typeVarchar))
		}
	}
	rows := rs.rows
	if counting {
		// An aggregate gives one row; other columns take the first row's values, as Cassandra does.
		if len(rows) > 1 {
			rows = rows[:1]
		}
		if len(rows) == 0 {
			rows = [][][]byte{nil}
		}
	}
	for _, src := range rows {
		row := make([][]byte, len(items))
		for i, it := range items {
			switch {
			case it.count:
				row[i] = appendI64(nil, int64(len(rs.rows)))
			case idx[i] >= 0 && src != nil:
				row[i] = src[idx[i]]
			}
		}
		out.rows = append(out.rows, row)
	}
	return out
}

func (rs rowSet) body() []byte { return appendRows(nil, rs.ks, rs.tbl, rs.cols, rs.rows) }
