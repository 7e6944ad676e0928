import { describe, expect, it } from 'vitest';
import { parseTabParams } from './params.ts';

describe('parseTabParams', () => {
  it('reads cluster, size and key, with demo as the default cluster', () => {
    expect(parseTabParams('?cluster=c1&size=5&key=s3cret')).toEqual({ cluster: 'c1', size: 5, key: 's3cret', snapshotEveryTxns: null, retainLogTxns: null, iceServers: [], forceNewCluster: false });
    expect(parseTabParams('')).toEqual({ cluster: 'demo', size: null, key: null, snapshotEveryTxns: null, retainLogTxns: null, iceServers: [], forceNewCluster: false });
    expect(parseTabParams('?snapshotEvery=20&retainLog=0')).toMatchObject({ snapshotEveryTxns: 20, retainLogTxns: 0 });
  });

  it('refuses what the signaling server would refuse, saying why', () => {
    expect(parseTabParams('?cluster=a/b')).toMatchObject({ error: expect.stringContaining('cluster') });
    expect(parseTabParams('?size=0')).toMatchObject({ error: expect.stringContaining('size') });
    expect(parseTabParams('?size=3.5')).toMatchObject({ error: expect.stringContaining('size') });
    expect(parseTabParams('?size=99')).toMatchObject({ error: expect.stringContaining('size') });
    expect(parseTabParams('?snapshotEvery=0')).toMatchObject({ error: expect.stringContaining('snapshotEvery') });
    expect(parseTabParams('?retainLog=-1')).toMatchObject({ error: expect.stringContaining('retainLog') });
    expect(parseTabParams('?ice=http://example.test')).toMatchObject({ error: expect.stringContaining('ice') });
  });

  it('adds ICE servers only when asked: none by default keeps every connection on the local network', () => {
    expect(parseTabParams('?ice=stun:stun.example.test:3478,turn:turn.example.test:3478')).toMatchObject({
      iceServers: [{ urls: 'stun:stun.example.test:3478' }, { urls: 'turn:turn.example.test:3478' }],
    });
  });
});
