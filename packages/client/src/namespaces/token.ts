/** cassandra-driver's `token` namespace (Murmur3 tokens and ranges, from `client.metadata.newToken`). */
export { Token, TokenRange } from '../metadata/token';
