import { describe, expect, it } from 'vitest';
import { MAX_STREAM_IDS, StreamIdTable, StreamState } from '../src/connection';

describe('StreamIdTable', () => {
  it('hands out the lowest ids first and all 32768 of them', () => {
    const t = new StreamIdTable();
    expect(t.capacity).toBe(MAX_STREAM_IDS);
    expect(t.acquire(StreamState.REQUEST, 0xffffffff, 0, 0)).toBe(0);
    expect(t.tags[0]).toBe(0xffffffff); // tags span the engine's full u32 request ids
    for (let i = 1; i < MAX_STREAM_IDS; i++) expect(t.acquire(StreamState.REQUEST, i, 0, 0)).toBe(i);
    expect(t.available).toBe(0);
    expect(t.acquire(StreamState.REQUEST, 1, 0, 0)).toBe(-1);
    expect(t.inFlight).toBe(MAX_STREAM_IDS);
    expect(t.highWater).toBe(MAX_STREAM_IDS);
  });

  it('reuses a released id first (LIFO keeps ids small and hot)', () => {
    const t = new StreamIdTable(8);
    for (let i = 0; i < 5; i++) t.acquire(StreamState.REQUEST, 100 + i, 0, 0);
    t.release(3);
    t.release(1);
    expect(t.acquire(StreamState.CONTROL, 7, 0, 0)).toBe(1);
    expect(t.acquire(StreamState.REQUEST, 8, 0, 0)).toBe(3);
    expect(t.acquire(StreamState.REQUEST, 9, 0, 0)).toBe(5);
    expect(t.state[1]).toBe(StreamState.CONTROL);
    expect(t.inFlight).toBe(6);
  });

  it('keeps an orphaned id taken until its late answer releases it', () => {
    const t = new StreamIdTable(2);
    const a = t.acquire(StreamState.REQUEST, 1, 123.5, 50);
    expect(t.deadlines[a]).toBe(123.5);
    expect(t.timeouts[a]).toBe(50);
    t.orphan(a);
    expect(t.inFlight).toBe(0);
    expect(t.orphaned).toBe(1);
    expect(t.deadlines[a]).toBe(0);
    expect(t.isTaken(a)).toBe(true);
    expect(t.available).toBe(1);
    t.release(a);
    expect(t.orphaned).toBe(0);
    expect(t.isTaken(a)).toBe(false);
    expect(t.available).toBe(2);
  });

  it('rejects capacities outside 1..32768', () => {
    expect(() => new StreamIdTable(0)).toThrow(RangeError);
    expect(() => new StreamIdTable(32769)).toThrow(RangeError);
    expect(new StreamIdTable(1).capacity).toBe(1);
  });

  it('isTaken is false for ids outside the table (-1 is the event stream)', () => {
    const t = new StreamIdTable(4);
    expect(t.isTaken(-1)).toBe(false);
    expect(t.isTaken(4)).toBe(false);
  });
});
