import * as cassandra from 'cassandra-driver';

/** The node's data center (cassandra-driver needs localDataCenter): asked with a round-robin policy. */
export async function localDataCenter(): Promise<string> {
  const probe = new cassandra.Client({
    contactPoints: ['127.0.0.1'],
    policies: { loadBalancing: new cassandra.policies.loadBalancing.RoundRobinPolicy() },
  });
  try {
    const rs = await probe.execute('SELECT data_center FROM system.local');
    return rs.first()['data_center'] as string;
  } finally {
    await probe.shutdown();
  }
}
