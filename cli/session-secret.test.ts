import { afterEach, describe, expect, test } from 'vitest';
import { roomToken } from '../protocol/cluster-key.ts';
import { silentLogger } from '../signaling/logger.ts';
import { SignalingServer } from '../signaling/server.ts';
import { clientIdFor, newSessionSecret } from '../protocol/session-secret.ts';
import { TestClient } from '../signaling/testing/test-client.ts';
import { GatewayClient } from './gateway-client.ts';
import { TabStandIn } from './testing/tab-stand-in.ts';

// Goal (issue 9 item 5): a CLI session can be used only by whoever holds its secret. The
// clientId is public (`stat` of an ephemeral znode shows it as ephemeralOwner); a second client
// that attaches with it gets nothing: no attachment, no requests in the victim's session, none
// of the victim's replies. Method: a real signaling server, a Node tab stand-in, the real
// GatewayClient as the victim and raw sockets as the attacker.
describe('CLI session secret', () => {
  let server: SignalingServer | null = null;
  const closers: (() => void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await server?.close();
    server = null;
  });

  test('a stolen clientId (ephemeralOwner) attaches nobody to the victim\'s session', async () => {
    server = await SignalingServer.start({ host: '127.0.0.1', port: 0, logger: silentLogger, seatGraceMs: 0 });
    const tab = await TabStandIn.join({ url: server.url, cluster: 'demo', key: 'k' });
    closers.push(() => tab.close());
    const victim = new GatewayClient({ url: server.url, cluster: 'demo', key: 'k' });
    closers.push(() => victim.close());
    expect(await victim.run({ op: 'create', path: '/lock', data: 'mine', ephemeral: true, sequential: false })).toEqual({ ok: true, value: '/lock' });
    const stat = await victim.run({ op: 'stat', path: '/lock' });
    const owner = stat.ok ? (stat.value as { ephemeralOwner: string }).ephemeralOwner : null;
    expect(owner).toBe(victim.clientId);

    const attacker = await TestClient.connect(server.url);
    closers.push(() => attacker.close());
    // The victim's clientId without its secret, with no secret, or with the attacker's own secret.
    const key = await roomToken('demo', 'k');
    for (const secret of [undefined, newSessionSecret()]) {
      const reply = await attacker.gatewayConnect({ cluster: 'demo', key, clientId: owner, ...(secret === undefined ? {} : { secret }) });
      expect(reply).toMatchObject({ ok: false, code: 'wrong-secret' });
    }
    attacker.emit('gateway-request', { requestId: 1, op: { op: 'delete', path: '/lock', version: -1 } });
    expect(await attacker.nextError('gateway-request')).toMatchObject({ code: 'not-attached' });
    // The attacker's own secret gives it a session of its own, never the victim's.
    const own = newSessionSecret();
    expect(await attacker.gatewayConnect({ cluster: 'demo', key, clientId: clientIdFor(own), secret: own })).toMatchObject({ ok: true });
    expect(clientIdFor(own)).not.toBe(owner);

    // The victim's session is untouched and only the victim's requests ran in it.
    expect(await victim.run({ op: 'get', path: '/lock' })).toMatchObject({ ok: true, value: { data: 'mine' } });
    expect(tab.requests.every((request) => request.clientId === victim.clientId)).toBe(true);
    expect(attacker.all('gateway-reply')).toEqual([]);
  });

  test('the same secret resumes the same session from another client', async () => {
    server = await SignalingServer.start({ host: '127.0.0.1', port: 0, logger: silentLogger, seatGraceMs: 0 });
    const tab = await TabStandIn.join({ url: server.url, cluster: 'demo' });
    closers.push(() => tab.close());
    const secret = newSessionSecret();
    const first = new GatewayClient({ url: server.url, cluster: 'demo', secret });
    closers.push(() => first.close());
    await first.run({ op: 'create', path: '/e', data: '', ephemeral: true, sequential: false });
    const second = new GatewayClient({ url: server.url, cluster: 'demo', secret });
    closers.push(() => second.close());
    expect(second.clientId).toBe(first.clientId);
    expect(await second.run({ op: 'stat', path: '/e' })).toMatchObject({ ok: true, value: { ephemeralOwner: first.clientId } });
  });
});
