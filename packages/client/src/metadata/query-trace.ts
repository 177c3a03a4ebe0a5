/**
 * Query traces (cassandra-driver `Metadata.getTrace`): system_traces.sessions and events of a trace id.
 * The coordinator writes the session row asynchronously and sets `duration` last, so a session without a
 * duration is not complete yet: ask again, up to 5 times 400 ms apart, as cassandra-driver does.
 */
import { ArgumentError, DriverError, type InetAddress, type Row, type Uuid } from '@shardcql/core';
import { delay } from '../promise-utils';

export interface TraceEvent {
  id: Uuid;
  activity: string;
  source: InetAddress;
  elapsed: number;
  thread: string;
}

export interface QueryTrace {
  requestType: string;
  coordinator: InetAddress;
  parameters: Record<string, string>;
  startedAt: Date;
  duration: number;
  clientAddress: InetAddress;
  events: TraceEvent[];
}

const MAX_ATTEMPTS = 5;
const ATTEMPT_DELAY_MS = 400;

/** `query` runs a system query at the caller's consistency. */
export async function fetchTrace(traceId: Uuid, query: (cql: string) => Promise<Row[]>): Promise<QueryTrace> {
  const id = traceId.toString();
  // The id is a Uuid printed by us (hex and dashes), so inlining it in the CQL cannot inject anything.
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new ArgumentError(`Invalid trace id ${id}`);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const rows = await query(`SELECT * FROM system_traces.sessions WHERE session_id = ${id}`);
    const s = rows[0] as unknown as Record<string, unknown> | undefined;
    if (s === undefined || typeof s['duration'] !== 'number') {
      await delay(ATTEMPT_DELAY_MS);
      continue;
    }
    const events = await query(`SELECT * FROM system_traces.events WHERE session_id = ${id}`);
    return {
      requestType: s['request'] as string,
      coordinator: s['coordinator'] as InetAddress,
      parameters: (s['parameters'] as Record<string, string> | null) ?? {},
      startedAt: s['started_at'] as Date,
      duration: s['duration'],
      clientAddress: s['client'] as InetAddress,
      events: events.map((row) => {
        const e = row as unknown as Record<string, unknown>;
        return {
          id: e['event_id'] as Uuid,
          activity: e['activity'] as string,
          source: e['source'] as InetAddress,
          elapsed: e['source_elapsed'] as number,
          thread: e['thread'] as string,
        };
      }),
    };
  }
  throw new DriverError(`Trace ${id} could not fully retrieved after ${MAX_ATTEMPTS} attempts`);
}
