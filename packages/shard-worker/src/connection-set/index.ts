// The connection set (one owner's connections as slots: open, state, shard, reconnection, close) and its schedules.
export { ConnectionSet, ConnectionSlot, SLOT_UP, SLOT_DOWN, SLOT_CLOSED, shardOf } from './connection-set';
export type { ConnectionSetConfig, ConnectionSetEvents } from './connection-set';
export { ReconnectionSchedule, SampledSchedules, SCHEDULE_SAMPLE, sampleSchedule } from './schedule';
export type { ReconnectionSchedules } from './schedule';
