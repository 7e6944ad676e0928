import type { ApplyResult } from '../state-machine.ts';
import type { Json } from '../types.ts';
import { formatZxid } from '../zxid.ts';
import type { Scenario } from './scenario.ts';

/**
 * The scenario scripts' commands for exactly-once writes on the data tree (script.ts lists
 * them): a session, numbered writes sent through a chosen server with or without waiting for
 * the answer, and what each committed txn did with it, so that a script shows a retry answered
 * from the remembered result (`onceReplay`) rather than applied again.
 */
export class OnceCommands {
  /** Writes sent by send-once, by number: null until answered. */
  private readonly sent = new Map<number, { result: ApplyResult | null }>();

  constructor(private readonly scenario: Scenario) {}

  async run(name: string, args: string[]): Promise<string> {
    switch (name) {
      case 'session': {
        const op = { type: 'createSession', sessionId: args[1]!, timeoutMs: 60_000 };
        return formatResult(await this.request(Number(args[0]), op));
      }
      case 'once': {
        const { sid, sessionId, requestNumber, op } = numberedWrite(args);
        const before = this.scenario.cluster.checker.committedTxns().length;
        const result = await this.request(sid, op);
        return `${formatResult(result)}\n${this.committedFor(sessionId, requestNumber, before)}`;
      }
      case 'send-once': {
        const { sid, requestNumber, op } = numberedWrite(args);
        const pending: { result: ApplyResult | null } = { result: null };
        this.sent.set(requestNumber, pending);
        this.scenario.node(sid).request('op', op, (result) => (pending.result = result));
        return 'sent';
      }
      case 'answer': {
        const pending = this.sent.get(Number(args[0]));
        if (pending === undefined) return `no write ${args[0]} was sent`;
        return pending.result === null ? 'no answer' : formatResult(pending.result);
      }
      case 'ls': {
        const result = this.scenario.node(Number(args[0])).query({ type: 'getChildren', path: args[1]! });
        return result.ok ? (result.value as { children: string[] }).children.join(' ') || '(none)' : `error ${result.error}`;
      }
      default:
        throw new Error(`unknown command ${JSON.stringify(name)}`);
    }
  }

  private async request(sid: number, op: Json): Promise<ApplyResult> {
    const pending: { result: ApplyResult | null } = { result: null };
    this.scenario.node(sid).request('op', op, (result) => (pending.result = result));
    await this.scenario.until(() => pending.result !== null, `${JSON.stringify(op)} through ${sid} is answered`);
    return pending.result!;
  }

  /** The txns committed since `before` that carried this session's write number: applied, or answered from memory. */
  private committedFor(sessionId: string, requestNumber: number, before: number): string {
    const lines = this.scenario.cluster.checker
      .committedTxns()
      .slice(before)
      .flatMap(({ zxid, txn }) => {
        const op = txn.op as { type?: string; sessionId?: string; requestNumber?: number; txn?: { type?: string } } | null;
        if (op?.sessionId !== sessionId || op.requestNumber !== requestNumber) return [];
        if (op.type === 'once') return [`committed ${formatZxid(zxid)}: once ${sessionId} #${requestNumber} applied (${op.txn?.type})`];
        if (op.type === 'onceReplay') return [`committed ${formatZxid(zxid)}: onceReplay ${sessionId} #${requestNumber}: the remembered result, nothing applied`];
        return [];
      });
    return lines.join('\n') || 'nothing committed for it';
  }
}

/** `SID SESSION N create [-s] PATH DATA` as the numbered write it names. */
function numberedWrite(args: string[]): { sid: number; sessionId: string; requestNumber: number; op: Json } {
  const [sid, sessionId, number, verb, ...rest] = args;
  if (verb !== 'create') throw new Error(`once: only create is scripted, got ${JSON.stringify(verb)}`);
  const sequential = rest[0] === '-s';
  const [path, data] = sequential ? rest.slice(1) : rest;
  const request = { type: 'create', path: path!, data: data ?? '', ephemeral: false, sequential, sessionId: sessionId! };
  return { sid: Number(sid), sessionId: sessionId!, requestNumber: Number(number), op: { type: 'once', sessionId: sessionId!, requestNumber: Number(number), request } };
}

function formatResult(result: ApplyResult): string {
  if (!result.ok) return `error ${result.error}`;
  const value = result.value as { path?: string; sessionId?: string } | null;
  return `ok ${value?.path ?? value?.sessionId ?? JSON.stringify(value)}`;
}
