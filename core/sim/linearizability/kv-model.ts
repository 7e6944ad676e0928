import type { Model, Operation, StepResult } from './model.ts';

/**
 * The key-value register model: every key is an independent register whose initial value is
 * absent (null). `put` sets it; `get` must return what it holds.
 */

export type KvInput =
  | { readonly op: 'put'; readonly key: string; readonly value: string | null }
  | { readonly op: 'get'; readonly key: string };

/** What the operation returned. Only a get has a result; a put's output is ignored. */
export interface KvOutput {
  readonly result: string | null;
}

/** The value a register holds; null = absent. */
export type KvValue = string | null;

export type KvOperation = Operation<KvInput, KvOutput>;

/**
 * Stands for "whatever the key held before the operations being checked": the first get fixes
 * it, a put overwrites it. Used to check a window cut out of the middle of a history.
 */
export const ANY_VALUE: unique symbol = Symbol('any value');
export type KvValueOrAny = KvValue | typeof ANY_VALUE;

export const kvModel: Model<KvValue, KvInput, KvOutput> = {
  init: () => null,
  step: stepRegister,
  equal: (a, b) => a === b,
  hash: hashValue,
  partition: partitionByKey,
  describeOperation,
  describeState: (state) => describeValue(state),
};

/** The same register, started from an unknown value instead of absent. */
export const kvModelFromAnyValue: Model<KvValueOrAny, KvInput, KvOutput> = {
  init: () => ANY_VALUE,
  step(state, input, output): StepResult<KvValueOrAny> {
    if (state !== ANY_VALUE) return stepRegister(state, input, output);
    // The first get of an unknown register can return anything, and from then on the
    // register is known to hold it; a put makes it known too.
    return { ok: true, state: input.op === 'get' ? output.result : input.value };
  },
  equal: (a, b) => a === b,
  hash: (state) => (state === ANY_VALUE ? 'any' : hashValue(state)),
  partition: partitionByKey,
  describeOperation,
  describeState: (state) => (state === ANY_VALUE ? 'any value' : describeValue(state)),
};

function stepRegister(state: KvValue, input: KvInput, output: KvOutput): StepResult<KvValue> {
  if (input.op === 'put') return { ok: true, state: input.value };
  return { ok: output.result === state, state };
}

// The prefixes keep "absent" apart from every string value, including the empty string.
function hashValue(state: KvValue): string {
  return state === null ? 'absent' : `=${state}`;
}

function partitionByKey<Output>(
  operations: readonly Operation<KvInput, Output>[],
): Operation<KvInput, Output>[][] {
  const byKey = new Map<string, Operation<KvInput, Output>[]>();
  for (const operation of operations) {
    const group = byKey.get(operation.input.key);
    if (group === undefined) byKey.set(operation.input.key, [operation]);
    else group.push(operation);
  }
  return [...byKey.values()];
}

function describeOperation(input: KvInput, output: KvOutput): string {
  if (input.op === 'put') return `put(${JSON.stringify(input.key)}, ${describeValue(input.value)})`;
  return `get(${JSON.stringify(input.key)}) -> ${describeValue(output.result)}`;
}

export function describeValue(value: KvValue): string {
  return value === null ? 'absent' : JSON.stringify(value);
}
