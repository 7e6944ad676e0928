/**
 * The Porcupine-shaped model interface: a sequential specification the checker searches
 * against. Everything here is pure data and pure functions, so it runs the same in Node, in
 * the browser and inside the simulator.
 */

/**
 * One operation of a history. [call, return] is a closed interval: an operation whose call
 * time equals another's return time overlaps it, so the two may be linearized in either
 * order. Clocks with millisecond resolution hand out equal timestamps often, and treating
 * them as concurrent is the choice that can never report a correct system as broken.
 * `return` is +Infinity when the outcome is unknown (the client never heard back): such an
 * operation may be linearized anywhere after its call, including after everything else,
 * which is the same as never having happened.
 */
export interface Operation<Input, Output> {
  readonly clientId: number | string;
  readonly input: Input;
  readonly call: number;
  readonly output: Output;
  readonly return: number;
}

export interface StepResult<State> {
  /** Whether `output` is a legal response to `input` in `state`. */
  readonly ok: boolean;
  /** The state after the operation; meaningful only when ok. */
  readonly state: State;
}

export interface Model<State, Input, Output> {
  init(): State;
  /** Pure: must not mutate `state`, since the search backtracks to it. */
  step(state: State, input: Input, output: Output): StepResult<State>;
  equal(a: State, b: State): boolean;
  /** A string key, equal for equal states: it keys the memoization cache. */
  hash(state: State): string;
  /**
   * Splits a history into independent sub-histories (per key), each checked on its own.
   * Linearizability is compositional (Herlihy & Wing, "locality"), so this is exact and it
   * turns one exponential search into several small ones.
   */
  partition(operations: readonly Operation<Input, Output>[]): Operation<Input, Output>[][];
  describeOperation(input: Input, output: Output): string;
  describeState(state: State): string;
}

/** Porcupine's verdicts: Unknown means the search ran out of budget before deciding. */
export type CheckVerdict = 'Ok' | 'Illegal' | 'Unknown';
