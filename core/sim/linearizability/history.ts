import * as v from 'valibot';

/**
 * One client operation as it is recorded: the one definition of the history format
 * (docs/ARCHITECTURE.md). The simulator's clients, the CLI's `--history` and the page's
 * `history()` (protocol/history.ts) write it; the checkers only read it. `Result` is what the
 * operation returned: a get's value for the kv model (the default), the ZooKeeper results for the
 * data-tree model (zk-records.ts), any JSON as the CLI and the page write it.
 */
export interface HistoryRecord<Result = string | null> {
  /** Who issued the operation. */
  client: number | string;
  /** 'put' | 'get' for the kv model; other models will add their own operations. */
  op: string;
  /** The key (a znode path later). */
  path: string;
  /** Argument of a write. */
  value?: string | null;
  /** Unused by the kv model. */
  version?: number | null;
  /** Time the client called it (ms, any monotone clock shared by all clients). */
  call: number;
  /** Time it returned; null = never returned, so the outcome is unknown. */
  return: number | null;
  /** true = succeeded, false = definitely did not take effect, null = unknown. */
  ok: boolean | null;
  /** What the operation returned (kv model: what a get returned, null = key absent), or the error name when ok is not true. */
  result?: Result;
  /** create only (the ZooKeeper model): a sequential create; absent = false. */
  sequential?: boolean;
  /** create only: an ephemeral create; absent = false. The checkers do not read it. */
  ephemeral?: boolean;
}

const finiteNumber = v.pipe(v.number(), v.finite());

// v.object drops fields it does not know: the checker must not come to depend on extras.
const HistoryRecordSchema = v.pipe(
  v.object({
    client: v.union([finiteNumber, v.string()]),
    op: v.pipe(v.string(), v.minLength(1)),
    path: v.string(),
    value: v.optional(v.nullable(v.string())),
    version: v.optional(v.nullable(finiteNumber)),
    call: finiteNumber,
    return: v.nullable(finiteNumber),
    ok: v.nullable(v.boolean()),
    result: v.optional(v.nullable(v.string())),
    sequential: v.optional(v.boolean()),
  }),
  // An interval that ends before it starts can only come from a broken recorder; reading it
  // as an empty interval would make the checker report nonsense instead of the real bug.
  v.check(
    (record) => record.return === null || record.return >= record.call,
    'return is earlier than call',
  ),
);

/**
 * Validates an exported history (already JSON-parsed) and returns it typed. Throws an Error
 * naming the index of the first bad record and what is wrong with it, so a broken export is
 * caught at the boundary and never reaches the checker.
 */
export function parseHistory(json: unknown): HistoryRecord[] {
  if (!Array.isArray(json)) {
    throw new Error(`history must be an array of records, got ${describeJsonType(json)}`);
  }
  const records: HistoryRecord[] = [];
  for (let index = 0; index < json.length; index++) {
    const parsed = v.safeParse(HistoryRecordSchema, json[index]);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const where = issue === undefined ? null : v.getDotPath(issue);
      const field = where === null ? '' : `${where}: `;
      throw new Error(`history record ${index} is invalid: ${field}${issue?.message ?? 'unknown issue'}`);
    }
    records.push(parsed.output);
  }
  return records;
}

function describeJsonType(json: unknown): string {
  if (json === null) return 'null';
  return typeof json;
}
