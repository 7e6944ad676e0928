/** One line of a tab's own log (what the page's log view shows). */
export interface LogLine {
  readonly timeMs: number;
  readonly text: string;
}

/** The last `capacity` lines a tab logged: the log view shows them, older ones are dropped. */
export class LogRing {
  private readonly kept: LogLine[] = [];

  constructor(private readonly capacity: number) {}

  /** Appends a line stamped now and returns it. */
  add(text: string): LogLine {
    const line = { timeMs: Date.now(), text };
    this.kept.push(line);
    if (this.kept.length > this.capacity) this.kept.splice(0, this.kept.length - this.capacity);
    return line;
  }

  get lines(): readonly LogLine[] {
    return this.kept;
  }
}
