import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { LIMITS } from '../protocol/signaling-events.ts';
import { formatJson, formatReadable } from '../protocol/command-format.ts';
import { ConnectionFailure, GatewayClient } from './gateway-client.ts';
import type { GatewayOp, GatewayResult } from '../protocol/gateway-ops.ts';
import { historyJson, historyNow, historyRecord, type HistoryRecord } from '../protocol/history.ts';
import { parseLine, parseScript } from '../protocol/command-parse.ts';

/**
 * The command-line client (the seed project's cli_client) as a function of its arguments and
 * streams, so tests run it in-process; main.ts binds it to the real process.
 *
 * stdin not a terminal: batch. The whole input is parsed first; any bad line is reported (with
 * its line number) and nothing runs (exit 2). Then each operation runs in order and prints one
 * line; one with an invalid path answers BadArguments without being sent, as ZooKeeper's client
 * rejects it, and the next runs. Terminal: an interactive prompt with line editing and history.
 *
 * Exit codes: 0 every operation ran (ZooKeeper errors such as NoNode are results, not failures);
 * 1 connection failure (no tab of the cluster could be reached); 2 bad line or bad flags.
 */
export const EXIT_OK = 0;
export const EXIT_CONNECTION_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface CliStreams {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Whether stdin is a terminal (then the CLI prompts). */
  readonly interactive: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

interface CliOptions {
  readonly url: string;
  readonly cluster: string;
  readonly key: string | undefined;
  readonly seat: number | undefined;
  readonly json: boolean;
  readonly history: string | null;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

export const USAGE = `Usage: npm run cli -- --cluster NAME [options] [< ops.txt]

Runs ZooKeeper operations against a TabKeeper cluster through the signaling server's gateway,
one per line:  create [-e] [-s] /path [data] | get /path | set /path data [version]
               delete /path [version] | ls /path | stat /path | sync /path | exists /path
Quote data with spaces ("two words" or 'two words'); # starts a comment.
With stdin redirected it runs the file; on a terminal it prompts (up/down for history).

Options:
  --url URL               signaling server [http://localhost:3000]
  --cluster NAME          cluster to reach (required)
  --key KEY               the cluster's join key (or env TABKEEPER_KEY)
  --seat N                always use the tab at seat N (default: any live seat, moving on loss)
  --json                  one JSON object per line: {"line","op","path","ok","result"|"error"}
  --history FILE          write the call/return history (the checker's record format) to FILE
  --timeout SECONDS       wait for one answer at most this long [30]
  --connect-timeout SECONDS  wait for a tab at most this long [15]
  --help                  this text

Exit codes: 0 all operations ran, 1 connection failure, 2 bad line or bad flags.`;

export async function runCli(argv: readonly string[], streams: CliStreams): Promise<number> {
  const parsed = parseCliOptions(argv, streams.env ?? {});
  if (parsed === 'help') {
    streams.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (typeof parsed === 'string') {
    streams.stderr.write(`${parsed}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  return streams.interactive ? runInteractive(parsed, streams) : runBatch(parsed, streams);
}

async function runBatch(options: CliOptions, streams: CliStreams): Promise<number> {
  const script = parseScript(await readAll(streams.stdin));
  if (script.errors.length > 0) {
    for (const error of script.errors) streams.stderr.write(`${error}\n`);
    streams.stderr.write(`${script.errors.length} bad line${script.errors.length === 1 ? '' : 's'}; nothing was run\n`);
    return EXIT_USAGE;
  }
  const session = new Session(options, streams);
  try {
    await session.connect();
    for (const { line, op, problem } of script.lines) await session.run(line, op, problem);
    return EXIT_OK;
  } catch (error) {
    return session.fail(error);
  } finally {
    session.finish();
  }
}

async function runInteractive(options: CliOptions, streams: CliStreams): Promise<number> {
  const session = new Session(options, streams);
  try {
    await session.connect();
  } catch (error) {
    session.finish();
    return session.fail(error);
  }
  const prompt = createInterface({ input: streams.stdin, output: streams.stdout, terminal: true, historySize: 1000 });
  const setPrompt = () => prompt.setPrompt(`${options.cluster}@${session.seat ?? '?'}> `);
  streams.stdout.write(`Connected to cluster ${options.cluster}. Type help for the operations, quit or Ctrl-D to leave.\n`);
  setPrompt();
  prompt.prompt();
  let exitCode = EXIT_OK;
  let lineNumber = 0;
  for await (const text of prompt) {
    lineNumber += 1;
    const command = text.trim();
    if (command === 'quit' || command === 'exit') break;
    if (command === 'help') streams.stdout.write(`${USAGE}\n`);
    const parsed = command === 'help' ? { kind: 'blank' as const } : parseLine(text, lineNumber);
    if (parsed.kind === 'error') streams.stderr.write(`${parsed.message}\n`);
    if (parsed.kind === 'op') {
      try {
        await session.run(lineNumber, parsed.op, parsed.problem);
      } catch (error) {
        exitCode = session.fail(error);
      }
    }
    setPrompt();
    prompt.prompt();
  }
  prompt.close();
  session.finish();
  return exitCode;
}

/** One client's run: the gateway connection, the printing and the history. */
class Session {
  private readonly client: GatewayClient;
  private readonly history: HistoryRecord[] = [];

  constructor(
    private readonly options: CliOptions,
    private readonly streams: CliStreams,
  ) {
    this.client = new GatewayClient({
      url: options.url,
      cluster: options.cluster,
      ...(options.key === undefined ? {} : { key: options.key }),
      ...(options.seat === undefined ? {} : { seat: options.seat }),
      requestTimeoutMs: options.requestTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      onNotice: (text) => streams.stderr.write(`# ${text}\n`),
    });
  }

  get seat(): number | null {
    return this.client.seat;
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  async run(line: number, op: GatewayOp, problem?: string): Promise<GatewayResult> {
    if (problem !== undefined) {
      // ZooKeeper's client refuses the request before sending it (IllegalArgumentException: BadArguments).
      this.streams.stderr.write(`# line ${line}: ${problem}\n`);
      const result: GatewayResult = { ok: false, error: 'BadArguments' };
      this.streams.stdout.write(`${this.options.json ? formatJson(line, op, result) : formatReadable(op, result)}\n`);
      return result;
    }
    const call = historyNow();
    const result = await this.client.run(op);
    const record = historyRecord(this.client.clientId, op, call, historyNow(), result);
    if (record !== null) this.history.push(record);
    this.streams.stdout.write(`${this.options.json ? formatJson(line, op, result) : formatReadable(op, result)}\n`);
    return result;
  }

  /** Reports a connection failure (or an unexpected error) and returns the exit code. */
  fail(error: unknown): number {
    if (error instanceof ConnectionFailure) {
      this.streams.stderr.write(`connection failure: ${error.message}\n`);
      return EXIT_CONNECTION_FAILURE;
    }
    throw error;
  }

  finish(): void {
    this.client.close();
    if (this.options.history !== null) writeFileSync(this.options.history, historyJson(this.history));
  }
}

function parseCliOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliOptions | 'help' | string {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        url: { type: 'string', default: 'http://localhost:3000' },
        cluster: { type: 'string' },
        key: { type: 'string' },
        seat: { type: 'string' },
        json: { type: 'boolean', default: false },
        history: { type: 'string' },
        timeout: { type: 'string', default: '30' },
        'connect-timeout': { type: 'string', default: '15' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    return (error as Error).message;
  }
  if (values.help) return 'help';
  const cluster = values.cluster;
  if (cluster === undefined) return '--cluster is required';
  if (!/^[A-Za-z0-9_-]+$/.test(cluster) || cluster.length > LIMITS.clusterNameLength) {
    return `--cluster: '${cluster}' is not a cluster name (1..${LIMITS.clusterNameLength} characters of A-Z a-z 0-9 _ -)`;
  }
  if (!/^https?:\/\/./.test(values.url)) return `--url: expected http://host:port or https://…, got '${values.url}'`;
  const seat = values.seat === undefined ? undefined : positiveInteger(values.seat, LIMITS.seat);
  if (seat === null) return `--seat: expected a seat number from 1 to ${LIMITS.seat}, got '${values.seat}'`;
  const requestTimeoutMs = seconds(values.timeout);
  const connectTimeoutMs = seconds(values['connect-timeout']);
  if (requestTimeoutMs === null) return `--timeout: expected seconds, got '${values.timeout}'`;
  if (connectTimeoutMs === null) return `--connect-timeout: expected seconds, got '${values['connect-timeout']}'`;
  const key = values.key ?? (env.TABKEEPER_KEY === '' ? undefined : env.TABKEEPER_KEY);
  return { url: values.url, cluster, key, seat, json: values.json, history: values.history ?? null, requestTimeoutMs, connectTimeoutMs };
}

function positiveInteger(text: string, max: number): number | null {
  if (!/^\d+$/.test(text)) return null;
  const value = Number(text);
  return value >= 1 && value <= max ? value : null;
}

function seconds(text: string): number | null {
  const value = Number(text);
  return /^\d+(\.\d+)?$/.test(text) && value > 0 && value <= 3600 ? Math.round(value * 1000) : null;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
