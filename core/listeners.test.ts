import { describe, expect, it } from 'vitest';
import { Listeners } from './listeners.ts';

describe('Listeners', () => {
  it('calls every listener in the order added, with the arguments emitted', () => {
    const listeners = new Listeners<[number, string]>();
    const heard: string[] = [];
    listeners.add((n, s) => heard.push(`a${n}${s}`));
    listeners.add((n, s) => heard.push(`b${n}${s}`));
    listeners.emit(1, 'x');
    expect(heard).toEqual(['a1x', 'b1x']);
  });

  it('removes a listener with the function add returned, once, even if added twice', () => {
    const listeners = new Listeners<[]>();
    let calls = 0;
    const listener = () => calls++;
    const remove = listeners.add(listener);
    listeners.add(listener);
    remove();
    remove();
    listeners.emit();
    expect(calls).toBe(1);
    expect(listeners.size).toBe(1);
  });

  it('an emit calls the listeners present when it began: one removed or added meanwhile counts from the next', () => {
    const listeners = new Listeners<[]>();
    const heard: string[] = [];
    let removeB = () => {};
    listeners.add(() => {
      heard.push('a');
      removeB();
      listeners.add(() => heard.push('c'));
    });
    removeB = listeners.add(() => heard.push('b'));
    listeners.emit();
    expect(heard).toEqual(['a', 'b']);
    heard.length = 0;
    listeners.emit();
    expect(heard).toEqual(['a', 'c']);
  });
});
