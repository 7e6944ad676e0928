import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from './messages.ts';

// Heartbeats carry a small status for displays (state, epoch, last zxid): optional, validated
// like every other field, and never a way in for junk.
describe('heartbeat status', () => {
  const status = { state: 'FOLLOWING', epoch: 3, lastZxid: { epoch: 3, counter: 7 } };

  it('is accepted on PING and PONG, and optional', () => {
    for (const message of [
      { kind: 'PING', from: 1, epoch: 3, status },
      { kind: 'PONG', from: 2, epoch: 3, sessions: [], status },
      { kind: 'PING', from: 1, epoch: 3 },
      { kind: 'PONG', from: 2, epoch: 3, sessions: [] },
    ]) {
      const decoded = decodeMessage(JSON.stringify(message));
      expect(decoded.ok, JSON.stringify(message)).toBe(true);
      if (decoded.ok) expect(JSON.parse(encodeMessage(decoded.message))).toEqual(message);
    }
  });

  it('refuses a malformed status', () => {
    for (const bad of [
      { ...status, state: 'BOSS' },
      { ...status, epoch: -1 },
      { ...status, lastZxid: { epoch: 1 } },
      { ...status, extra: 'x' },
      'LEADING',
    ]) {
      const decoded = decodeMessage({ kind: 'PING', from: 1, epoch: 3, status: bad });
      expect(decoded.ok, JSON.stringify(bad)).toBe(false);
    }
  });
});
