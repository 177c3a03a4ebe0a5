import { describe, expect, it } from 'vitest';
import { dataTypes } from '../src/types/data-type';

describe('dataTypes', () => {
  it('uses the protocol option codes (spec 4.2.5.2)', () => {
    expect(dataTypes.varchar).toBe(0x0d);
    expect(dataTypes.duration).toBe(0x15);
    expect(dataTypes.udt).toBe(0x30);
  });
});
