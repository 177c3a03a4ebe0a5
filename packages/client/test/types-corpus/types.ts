// The `types` namespace: value classes, enums used as values and as types, Row, ResultSet, ResultStream.
import { types } from 'cassandra-driver';
import * as cassandra from 'cassandra-driver';
import Long = types.Long;
import Uuid = types.Uuid;

// Enums as values and as types.
const c: types.consistencies = types.consistencies.quorum;
const cName: string = types.consistencies[c];
const byNumber: string = types.consistencies[4];
const fromNumber: types.consistencies = 4;
const d: types.distance = types.distance.local;
const dName: string = types.distance[d];
const dt: types.dataTypes = types.dataTypes.int;
const dtName: string = types.dataTypes[dt];
const code: number = types.dataTypes.varchar;
const pv: types.protocolVersion = types.protocolVersion.v4;
const supported: boolean = types.protocolVersion.isSupported(types.protocolVersion.v4);
const maxPv: number = types.protocolVersion.maxSupported;
const rec: types.responseErrorCodes = types.responseErrorCodes.unavailableException;
const recName: string = types.responseErrorCodes[rec];
const isInvalid: boolean = 0x2200 === types.responseErrorCodes.invalid;
function levelName(level: types.consistencies): string {
  switch (level) {
    case types.consistencies.one: return 'one';
    case types.consistencies.localQuorum: return 'lq';
    default: return types.consistencies[level];
  }
}
const levels: types.consistencies[] = [types.consistencies.any, types.consistencies.all, types.consistencies.eachQuorum, types.consistencies.localOne, types.consistencies.two, types.consistencies.three, types.consistencies.localSerial];
const unset: object = types.unset;

// Long (the `long` package's class).
const l: Long = Long.fromNumber(10);
const l2: types.Long = types.Long.fromString('12345678901234');
const l3 = l.add(l2).multiply(Long.ONE).toString();
const l4: number = Long.fromInt(3).toNumber();
const l5 = new types.Long(1, 2);
const l6: boolean = Long.isLong(l5);

// Uuid and TimeUuid.
const u: Uuid = Uuid.random();
const u2 = types.Uuid.fromString('a3e7c0a0-1c3b-11e9-ab14-d663bd873d93');
const u3 = new types.Uuid(Buffer.alloc(16));
const ueq: boolean = u.equals(u2);
const ubuf: Buffer = u3.getBuffer();
const ustr: string = u.toString() + u.toJSON();
types.Uuid.random((err: Error, id: Uuid) => console.log(err, id));
types.Uuid.random((err, id) => console.log(err, id.toString()));
const tu: types.TimeUuid = types.TimeUuid.now();
const tu2 = types.TimeUuid.now('node01', 'cl');
const tu2b = types.TimeUuid.now(Buffer.alloc(6), Buffer.alloc(2));
types.TimeUuid.now('node01', 'cl', (err: Error, id: types.TimeUuid) => console.log(err, id));
types.TimeUuid.now((err, id) => console.log(err, id.getDate()));
const tu3 = types.TimeUuid.fromDate(new Date());
const tu4 = types.TimeUuid.fromDate(new Date(), 1, 'node01', 'cl');
types.TimeUuid.fromDate(new Date(), 1, 'node01', 'cl', (err, id) => console.log(err, id));
const tu5 = types.TimeUuid.fromString('a3e7c0a0-1c3b-11e9-ab14-d663bd873d93');
const tu6 = types.TimeUuid.max(new Date(), 0);
const tu7 = types.TimeUuid.min(new Date(), 0);
const prec: { date: Date; ticks: number } = tu.getDatePrecision();
const date: Date = tu.getDate();
const asUuid: Uuid = tu;

// BigDecimal, Integer.
const bd = new types.BigDecimal(12345, 2);
const bd2: types.BigDecimal = types.BigDecimal.fromString('1.5').add(types.BigDecimal.fromNumber(2)).subtract(bd);
const bd3 = types.BigDecimal.fromBuffer(types.BigDecimal.toBuffer(bd));
const bdFlags: boolean[] = [bd.equals(bd2), bd.greaterThan(bd3), bd.isNegative(), bd.isZero(), bd.notEquals(bd2)];
const bdn: number = bd.compare(bd2) + bd.toNumber();
const bds: string = bd.toString() + bd.toJSON();
const i1 = types.Integer.fromNumber(42);
const i2: types.Integer = types.Integer.fromString('123456789012345678901234567890', 10);
const i3 = types.Integer.fromInt(1).add(types.Integer.ONE).subtract(types.Integer.ZERO).multiply(i1).divide(i2).modulo(i1).negate().abs();
const i4 = types.Integer.fromBits([1, 2]).shiftLeft(2).shiftRight(1).or(i1).xor(i2).not().shorten(8);
const i5 = new types.Integer([1], 0);
const i6 = types.Integer.fromBuffer(types.Integer.toBuffer(i5));
const iFlags: boolean[] = [i1.equals(i2), i1.greaterThan(i2), i1.greaterThanOrEqual(i2), i1.lessThan(i2), i1.lessThanOrEqual(i2), i1.isNegative(), i1.isOdd(), i1.isZero(), i1.notEquals(i2)];
const iNums: number[] = [i1.compare(i2), i1.getBits(0), i1.getBitsUnsigned(0), i1.getSign(), i1.toInt(), i1.toNumber()];
const iStrs: string[] = [i1.toString(), i1.toString(16), i1.toJSON()];

// InetAddress, LocalDate, LocalTime, Duration.
const ip = types.InetAddress.fromString('127.0.0.1');
const ip2 = new types.InetAddress(Buffer.from([127, 0, 0, 1]));
const ipInfo: [number, number, boolean, Buffer, string, string] = [ip.length, ip.version, ip.equals(ip2), ip.getBuffer(), ip.toString(), ip.toJSON()];
const ld = new types.LocalDate(2024, 1, 31);
const ld2: types.LocalDate = types.LocalDate.fromDate(new Date());
const ld3 = types.LocalDate.fromString('2024-01-31');
const ld4 = types.LocalDate.fromBuffer(ld.toBuffer());
const ld5 = types.LocalDate.now();
const ld6 = types.LocalDate.utcNow();
const ldInfo: [number, number, number, boolean, string, string, string] = [ld.year, ld.month, ld.day, ld.equals(ld2), ld.inspect(), ld.toJSON(), ld.toString()];
const lt = new types.LocalTime(Long.fromNumber(1000));
const lt2: types.LocalTime = types.LocalTime.fromString('10:00:00.5');
const lt3 = types.LocalTime.fromDate(new Date(), 1);
const lt4 = types.LocalTime.fromMilliseconds(1000);
const lt5 = types.LocalTime.fromMilliseconds(1000, 5);
const lt6 = types.LocalTime.now();
const lt7 = types.LocalTime.now(10);
const lt8 = types.LocalTime.fromBuffer(lt.toBuffer());
const ltInfo: [number, number, number, number, boolean, Long, string, string, string] = [lt.hour, lt.minute, lt.second, lt.nanosecond, lt.equals(lt2), lt.getTotalNanoseconds(), lt.inspect(), lt.toJSON(), lt.toString()];
const ltCmp: boolean = lt.compare(lt2); // kept: compare returns -1, 0 or 1 in both drivers (cassandra-driver declares boolean)
const du = new types.Duration(1, 2, 3);
const du2 = new types.Duration(1, 2, Long.fromNumber(3));
const du3: types.Duration = types.Duration.fromString('1h30m');
const du4 = types.Duration.fromBuffer(du.toBuffer());
const duInfo: [boolean, string] = [du.equals(du2), du.toString()];

// Tuple, Vector.
const t = new types.Tuple(1, 'a', true);
const t2: types.Tuple = types.Tuple.fromArray([1, 2]);
const tv: number = t.get(0) + t.length;
const tel: any[] = t.elements;
const tInfo: [string, string, any[]] = [t.toString(), t.toJSON(), t.values()]; // kept: Tuple#toJSON returns the elements array in both drivers (cassandra-driver declares string)
const v = new types.Vector(new Float32Array([1, 2]));
const v2 = new types.Vector([1, 2], 'float');
const vInfo: [any[], number, string, string, any, string | null] = [v.elements, v.length, v.subtype, v.toString(), v.at(0), v2.getSubtype()];
v.forEach((value, index, array) => console.log(value, index, array));
for (const x of v) console.log(x);

// Row and ResultSet.
function useResult(rs: types.ResultSet): void {
  const row: types.Row = rs.first();
  const name: string = row.name;
  const plusOne: number = row['v'] + 1;
  const score: string = row.get('score');
  const byIndex = row.get(0);
  const keys: string[] = row.keys();
  const values: any[] = row.values();
  row.forEach((r: types.Row) => console.log(r));
  const rows: types.Row[] = rs.rows;
  const n: number = rs.rowLength;
  const ps: string = rs.pageState;
  const applied: boolean = rs.wasApplied();
  const cols: Array<{ name: string; type: { code: types.dataTypes; info: any } }> = rs.columns;
  const firstCol: string = rs.columns[0].name;
  const colCode: types.dataTypes = rs.columns[0].type.code;
  const info = rs.info;
  const host: string = info.queriedHost;
  const tried: { [key: string]: any } = info.triedHosts;
  const spec: number = info.speculativeExecutions;
  const achieved: types.consistencies = info.achievedConsistency;
  const traceId: Uuid = info.traceId;
  const warnings: string[] = info.warnings;
  const payload: any = info.customPayload;
  if (rs.nextPage !== null) rs.nextPage();
  for (const r of rs) console.log(r.id);
  const mapped = rs.rows.map((r) => ({ id: r.id as Uuid, name: r.name as string }));
  console.log(row, name, plusOne, score, byIndex, keys, values, rows, n, ps, applied, cols, firstCol, colCode, host, tried, spec, achieved, traceId, warnings, payload, mapped);
  console.log(warnings.length, traceId.toString(), rs.first().get('x'));
}
async function pages(rs: types.ResultSet): Promise<void> {
  for await (const row of rs) console.log(row.id, row['name']);
}
function useStream(s: types.ResultStream): void {
  const buf: Buffer = s.buffer; // kept: ResultStream#buffer is the array of buffered rows in both drivers (cassandra-driver declares Buffer)
  const paused: boolean = s.paused;
  s.add(Buffer.alloc(0));
  s.on('data', (row: types.Row) => console.log(row.id));
  s.pipe(process.stdout);
  console.log(buf, paused);
}
const rowFromResult = (rs: types.ResultSet): { id: Uuid } => ({ id: rs.first().id });

// The namespace through the default import form.
const viaRoot: cassandra.types.Row | null = null;
export {
  c, cName, byNumber, fromNumber, d, dName, dt, dtName, code, pv, supported, maxPv, rec, recName, isInvalid, levelName, levels, unset,
  l, l2, l3, l4, l5, l6, u, u2, u3, ueq, ubuf, ustr, tu, tu2, tu2b, tu3, tu4, tu5, tu6, tu7, prec, date, asUuid,
  bd2, bd3, bdFlags, bdn, bds, i3, i4, i6, iFlags, iNums, iStrs, ipInfo, ld3, ld4, ld5, ld6, ldInfo, lt3, lt4, lt5, lt6, lt7, lt8, ltInfo, ltCmp,
  du3, du4, duInfo, t2, tv, tel, tInfo, vInfo, useResult, pages, useStream, rowFromResult, viaRoot,
};
