// An ES module (`.mts`, or "type": "module") importing the CommonJS package by name: named and namespace
// imports, as TypeScript allows them from cassandra-driver's declarations under Node16 resolution.
import { Client, types, mapping, errors, type ClientOptions } from 'cassandra-driver';
import * as cassandra from 'cassandra-driver';

const options: ClientOptions = { contactPoints: ['h'], localDataCenter: 'dc1' };
const client = new Client(options);
export async function firstName(id: types.Uuid): Promise<string> {
  const rs = await client.execute('SELECT name FROM users WHERE id = ?', [id], { prepare: true, consistency: types.consistencies.localQuorum });
  return rs.first().name;
}
export const users: mapping.ModelMapper = new mapping.Mapper(client).forModel('User');
export const isTimeout = (e: unknown): boolean => e instanceof errors.OperationTimedOutError || e instanceof cassandra.errors.NoHostAvailableError;
