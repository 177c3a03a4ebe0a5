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

var keyspacesCols = []column{
	col("keyspace_name", typeVarchar), col("durable_writes", typeBoolean),
	{name: "replication", typeID: typeMap, typ: mapOfTextText},
}

var tablesCols = []column{col("keyspace_name", typeVarchar), col("table_name", typeVarchar), setCol("flags")}

var columnsCols = []column{
	col("keyspace_name", typeVarchar), col("table_name", typeVarchar), col("column_name", typeVarchar),
	col("clustering_order", typeVarchar), col("kind", typeVarchar), col("position", typeInt), col("type", typeVarchar),
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
		rows = append(rows, [][]byte{cellText(k.name), {1}, cellMapOfText(k.replication)})
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
			rows = append(rows, [][]byte{cellText(k.name), cellText(t.name), cellSetOfText([]string{"compound"})})
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
				pos := int32(-1)
				if cl.kind == "partition_key" {
					for j, p := range t.pk {
						if p == i {
							pos = int32(j)
						}
					}
				}
				typ := cl.cqlType
				if typ == "" {
					typ = "blob"
				}
				rows = append(rows, [][]byte{cellText(k.name), cellText(t.name), cellText(cl.name),
					cellText("none"), cellText(cl.kind), cellInt(pos), cellText(typ)})
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
