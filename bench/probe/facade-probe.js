const cassandra = require('@shardcql/client');
const [host, port, conc, ops] = [process.argv[2], +process.argv[3], +process.argv[4], +process.argv[5]];
(async () => {
  const c = new cassandra.Client({
    contactPoints: [host],
    localDataCenter: 'datacenter1',
    protocolOptions: { port },
    pooling: { maxRequestsPerConnection: 32768 },
  });
  await c.connect();
  const q = 'INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)';
  await c.execute(q, [cassandra.types.Long.fromNumber(0), cassandra.types.Long.fromNumber(0), cassandra.types.Long.fromNumber(0)], {
    prepare: true,
  });
  let next = 0,
    done = 0;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  async function loop() {
    while (next < ops) {
      const k = next++;
      await c.execute(
        q,
        [cassandra.types.Long.fromNumber(k), cassandra.types.Long.fromNumber(2 * k), cassandra.types.Long.fromNumber(3 * k)],
        { prepare: true },
      );
      done++;
    }
  }
  await Promise.all(Array.from({ length: conc }, loop));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      driver: 'shardcql',
      concurrency: conc,
      ops: done,
      opsPerSec: Math.round(done / secs),
      cpuUsPerOp: +((cpu.user + cpu.system) / done).toFixed(2),
    }),
  );
  await c.shutdown();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
