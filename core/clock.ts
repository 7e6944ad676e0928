/** Opaque handle of a timer set with a Clock. */
export type TimerId = number;

/** Time for the driver. The protocol itself only sees ticks; it never reads a clock. */
export interface Clock {
  /** Milliseconds on this server's clock (may be skewed against other servers'). */
  now(): number;
  setTimer(delayMs: number, callback: () => void): TimerId;
  clearTimer(id: TimerId): void;
}
