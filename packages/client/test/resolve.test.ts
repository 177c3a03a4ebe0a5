import { describe, expect, it } from 'vitest';
import { ResponseError } from '@shardcql/core';

describe('workspace resolution', () => {
  it('resolves @shardcql/core to its TypeScript sources without a build', () => {
    expect(new ResponseError(0x2200, 'x').code).toBe(0x2200);
  });
});
