import { describe, expect, test } from 'vitest';
import { ServerRotation } from './server-rotation.ts';

// Goal: a tab whose signaling server dies tries the others in turn, coming back to its own
// origin; a tab with a single server keeps trying that one; junk in the published list is ignored.
describe('ServerRotation', () => {
  test('a single server is retried; a published list is walked in order and wraps to the page origin', () => {
    const rotation = new ServerRotation('http://b.example:3002/?cluster=demo');
    expect(rotation.current).toBe('http://b.example:3002');
    expect(rotation.advance()).toBe('http://b.example:3002');
    rotation.update(['http://a.example:3001', 'http://b.example:3002/', 'http://c.example:3003']);
    expect(rotation.list()).toEqual(['http://b.example:3002', 'http://a.example:3001', 'http://c.example:3003']);
    expect([rotation.advance(), rotation.advance(), rotation.advance()]).toEqual(['http://a.example:3001', 'http://c.example:3003', 'http://b.example:3002']);
  });

  test('a server that leaves the list is not tried again; from it the walk restarts at the page origin', () => {
    const rotation = new ServerRotation('http://b.example:3002');
    rotation.update(['http://a.example:3001', 'http://c.example:3003']);
    rotation.advance();
    rotation.advance();
    expect(rotation.current).toBe('http://c.example:3003');
    rotation.update(['http://a.example:3001']);
    expect(rotation.advance()).toBe('http://b.example:3002');
    expect(rotation.advance()).toBe('http://a.example:3001');
  });

  test('anything but http(s) URLs is ignored', () => {
    const rotation = new ServerRotation('https://home.example');
    rotation.update(['javascript:alert(1)', 42, null, 'ws://x.example', 'x'.repeat(600), 'https://ok.example:8443/path']);
    expect(rotation.list()).toEqual(['https://home.example', 'https://ok.example:8443']);
    rotation.update('not a list');
    expect(rotation.list()).toEqual(['https://home.example', 'https://ok.example:8443']);
  });
});
