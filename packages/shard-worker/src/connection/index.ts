// Public surface of the connection module (one CQL connection owned by a shard worker).
export { Connection, DRIVER_NAME, DRIVER_VERSION } from './connection';
export { defaultConnectionOptions, resolveConnectionOptions, OutgoingRequest, IncomingAnswer } from './options';
export type { ConnectionOptions, ConnectionListener, ConnectionState, ControlResponse } from './options';
export { PlainTextAuthenticator } from './authenticator';
export type { Authenticator } from './authenticator';
export { RemoteAuthenticator, type AuthChannel } from './remote-authenticator';
export { MAX_STREAM_IDS, StreamIdTable, StreamState } from './stream-ids';
export { FrameWriter } from './writer';
export { FrameReader } from './reader';
export type { EnvelopeSink } from './reader';
export { encodeSimpleQuery, quoteIdentifier } from './simple-query';
