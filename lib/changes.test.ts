import { describe, expect, it } from 'vitest';
import { Changes } from './changes.ts';

describe('Changes.until', () => {
  const failure = (why: string) => new Error(`failed: ${why}`);

  it('answers at once when the check already holds, else after the change that makes it hold', async () => {
    const lines: string[] = ['a'];
    const changes = new Changes();
    await expect(changes.until(() => lines.find((line) => line === 'a'), { timeoutMs: 1000, failure })).resolves.toBe('a');
    const waiting = changes.until(() => lines.find((line) => line.startsWith('b')), { timeoutMs: 1000, failure });
    lines.push('c');
    changes.changed();
    lines.push('b2');
    changes.changed();
    await expect(waiting).resolves.toBe('b2');
  });

  it('rejects once ended() holds without an answer, and after the timeout', async () => {
    const changes = new Changes();
    let ended = false;
    const waiting = changes.until(() => undefined, { timeoutMs: 1000, failure, ended: () => ended });
    ended = true;
    changes.changed();
    await expect(waiting).rejects.toThrow('failed: ended');
    await expect(changes.until(() => undefined, { timeoutMs: 20, failure })).rejects.toThrow('failed: timeout');
  });

  it('never checks again once it has answered, even before its promise is awaited (a check may take what it finds)', async () => {
    const changes = new Changes();
    let checks = 0;
    let ready = false;
    const waiting = changes.until(
      () => {
        checks += 1;
        return ready ? true : undefined;
      },
      { timeoutMs: 1000, failure },
    );
    ready = true;
    changes.changed();
    const answeredAfter = checks;
    changes.changed();
    changes.changed();
    expect(checks).toBe(answeredAfter);
    await waiting;
  });
});
