import { describe, expect, it } from 'vitest';
import { describeTxn } from './log.svelte.ts';

// What the log view prints for each kind of txn: a person reads the row, so every kind the core
// and the data tree propose must read as words, never as raw JSON.
describe('describeTxn', () => {
  it('names the seat record by seat, storage and epoch', () => {
    const op = [
      { sid: 1, storageId: '3f2a1c9e-aaaa-bbbb', epoch: 2 },
      { sid: 2, storageId: '77d0e1ff-cccc', epoch: 2 },
    ];
    expect(describeTxn({ type: 'seats', op })).toBe('seat record: 1 ← 3f2a1c e2, 2 ← 77d0e1 e2');
  });

  it('reads tree txns, their failures, multis and numbered writes', () => {
    expect(describeTxn({ type: 'op', op: { type: 'create', path: '/a', data: 'hello', ephemeralOwner: 's1', timeMs: 5 } })).toBe('create /a "hello" ephemeral');
    expect(describeTxn({ type: 'op', op: { type: 'error', error: 'NodeExists', path: '/a' } })).toBe('error NodeExists /a');
    expect(describeTxn({ type: 'op', op: { type: 'multi', txns: [{ type: 'delete', path: '/a' }, { type: 'check', path: '/b' }] } })).toBe('multi (2): delete /a; check /b');
    expect(describeTxn({ type: 'op', op: { type: 'once', sessionId: 's', requestNumber: 7, txn: { type: 'setData', path: '/a', data: 'v', version: 1, timeMs: 1 } } })).toBe('setData /a "v" (#7)');
    expect(describeTxn({ type: 'sync', op: null })).toBe('sync');
  });

  it('shortens long data', () => {
    expect(describeTxn({ type: 'op', op: { type: 'setData', path: '/big', data: 'x'.repeat(1000) } })).toBe(`setData /big "${'x'.repeat(40)}…"`);
  });
});
