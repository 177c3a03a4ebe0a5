package main

import (
	"bytes"
	"testing"
)

func queryRows(t *testing.T, s *server, q string) rowSet {
	t.Helper()
	res := s.query(q, "")
	if res.errCode >= 0 {
		t.Fatalf("%s: error %#x %s", q, res.errCode, res.errMsg)
	}
	rs, ok := parseRowsBody(res.body)
	if !ok {
		t.Fatalf("%s: body does not parse as rows: % x", q, res.body)
	}
	return rs
}

func colNames(rs rowSet) []string {
	var n []string
	for _, c := range rs.cols {
		n = append(n, c.name)
	}
	return n
}

func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A select list gets exactly its columns, in its order, with the table's types and cells.
func TestSystemSelectList(t *testing.T) {
	s := testServer(options{tokens: 2})
	rs := queryRows(t, s, "SELECT host_id, data_center, rack, tokens, rpc_address, broadcast_address FROM system.local WHERE key='local'")
	if want := []string{"host_id", "data_center", "rack", "tokens", "rpc_address", "broadcast_address"}; !sameNames(colNames(rs), want) {
		t.Fatalf("columns %v", colNames(rs))
	}
	if len(rs.rows) != 1 || string(rs.rows[0][1]) != "datacenter1" || !bytes.Equal(rs.rows[0][0], hostIDOf(s)) {
		t.Fatalf("row %q", rs.rows)
	}
	if rs.cols[3].typeID != typeSet || rs.cols[0].typeID != typeUUID || rs.cols[4].typeID != typeInet {
		t.Fatalf("types %+v", rs.cols)
	}
	rs = queryRows(t, s, "SELECT keyspace_name, replication FROM system_schema.keyspaces")
	if !sameNames(colNames(rs), []string{"keyspace_name", "replication"}) || rs.cols[1].typeID != typeMap || len(rs.rows) != 1 {
		t.Fatalf("keyspaces %v %d rows", colNames(rs), len(rs.rows))
	}
	// Aliases, an unknown column (null text), count(*).
	rs = queryRows(t, s, `SELECT schema_version AS v, no_such_column, count(*) FROM system.local`)
	if !sameNames(colNames(rs), []string{"v", "no_such_column", "count"}) || rs.cols[1].typeID != typeVarchar || rs.cols[2].typeID != typeBigint {
		t.Fatalf("columns %v", colNames(rs))
	}
	if len(rs.rows) != 1 || rs.rows[0][1] != nil || !bytes.Equal(rs.rows[0][2], appendI64(nil, 1)) {
		t.Fatalf("row %q", rs.rows)
	}
	// SELECT * is unchanged: every column of the table.
	if rs = queryRows(t, s, "SELECT * FROM system.local WHERE key='local'"); len(rs.cols) != len(localCols) {
		t.Fatalf("* gave %d columns", len(rs.cols))
	}
}

func hostIDOf(s *server) []byte { return s.cl.nodes[s.node].hostID }

// Tables the stub has no data for still answer with well-formed metadata and no rows.
func TestUnknownSystemTables(t *testing.T) {
	s := testServer(options{tokens: 1})
	for q, want := range map[string][]string{
		"SELECT * FROM system_schema.types":                                     {"keyspace_name", "type_name", "field_names", "field_types"},
		"SELECT * FROM system_virtual_schema.keyspaces":                         {"keyspace_name"},
		"SELECT * FROM system.size_estimates":                                   {"key"},
		"SELECT keyspace_name, consistency FROM system_schema.scylla_keyspaces": {"keyspace_name", "consistency"},
		"SELECT * FROM system_schema.views USING TIMEOUT 2000ms":                nil,
	} {
		rs := queryRows(t, s, q)
		if len(rs.rows) != 0 || len(rs.cols) == 0 || (want != nil && !sameNames(colNames(rs), want)) {
			t.Fatalf("%s: columns %v, %d rows", q, colNames(rs), len(rs.rows))
		}
	}
}

// system_schema.tables and columns describe the catalog with Cassandra's column names.
func TestSchemaTablesRows(t *testing.T) {
	s := testServer(options{tokens: 1})
	if msg := s.cat.createTable("benchks", "t3", "a int, b int, c text, PRIMARY KEY (a, b)"); msg != "" {
		t.Fatal(msg)
	}
	rs := queryRows(t, s, "SELECT * FROM system_schema.tables WHERE keyspace_name = 'benchks' AND table_name = 't3'")
	if len(rs.rows) != 1 || len(rs.cols) != len(tablesCols) {
		t.Fatalf("tables: %d rows, %d columns", len(rs.rows), len(rs.cols))
	}
	rs = queryRows(t, s, "SELECT column_name, kind, position, clustering_order FROM system_schema.columns WHERE keyspace_name = 'benchks' AND table_name = 't3'")
	got := map[string]string{}
	for _, r := range rs.rows {
		got[string(r[0])] = string(r[1]) + "/" + string(r[3]) + "/" + itoa(int(int32(r[2][0])<<24|int32(r[2][1])<<16|int32(r[2][2])<<8|int32(r[2][3])))
	}
	if got["a"] != "partition_key/none/0" || got["b"] != "clustering/asc/0" || got["c"] != "regular/none/-1" {
		t.Fatalf("%v", got)
	}
}
