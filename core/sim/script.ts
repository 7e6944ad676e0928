import { KvMachine } from './kv-machine.ts';
import { DataTree } from '../tree/index.ts';
import { formatZxid } from '../zxid.ts';
import { Scenario } from './scenario.ts';
import { OnceCommands } from './script-once.ts';

/**
 * Scenario scripts with golden output (etcd raft's datadriven tests): a text file of commands,
 * each followed by `----` and what the cluster looks like after it. The script reads like a
 * story a ZooKeeper user can follow; `REWRITE=1 npx vitest run core/sim/script.test.ts`
 * regenerates the expected output (commit the diff only if you understand it).
 *
 * Commands:
 *   add-servers N [observers=M] [snapshot-every=K retain=R]   start a cluster and wait until it serves
 *   stabilize                      run until one leader serves every running server
 *   put SID KEY VALUE              a write through server SID; prints its result
 *   crash SID / close SID / start SID
 *   partition 1 2 | 3              cut every link between the groups (silently)
 *   heal
 *   run MS                         let simulated time pass
 *   status                         state, epoch, last and committed zxid of every server
 *   values KEY                     what every running server has applied for KEY
 *   marks PREFIX                   coverage marks whose name starts with PREFIX, with counts
 *   put-big SID KEY KIB            a write of a value of KIB KiB through server SID
 *   writer start SID KEY / writer stop   one client writing KEY back to back through SID
 *   slow-disk SID MS               server SID's disk takes MS ms per write from now on
 *   add-tracing                    from now on, print what happens during each command (below)
 *
 * With `add-servers N machine=tree` the servers run the data tree, and exactly-once writes
 * (core/tree/exactly-once.ts) can be told step by step (core/sim/script-once.ts):
 *   session SID SESSION            createSession through server SID
 *   once SID SESSION N create [-s] PATH DATA   session SESSION's write number N through SID, waiting for its answer
 *   send-once SID SESSION N create [-s] PATH DATA   the same without waiting (see `answer`)
 *   answer N                       the answer of write N sent by send-once, or that none came
 *   drop FROM TO KIND / deliver-all   drop messages of KIND from FROM to TO; deliver everything again
 *   ls SID PATH                    the children of PATH on server SID
 *
 * With `add-servers N trace=on`, every later command also prints what happened during it, the
 * way the Zab paper tells it: each message delivered (heartbeats and link events left out) and
 * each server's log line, with the simulated time.
 */
export class ScriptRunner {
  private scenario: Scenario | null = null;
  private tracing = false;
  private traced = 0;
  private writer: { stopped: boolean; count: number } | null = null;
  private once: OnceCommands | null = null;

  async run(command: string): Promise<string> {
    const output = await this.runCommand(command);
    if (!this.tracing || this.scenario === null) return output;
    const lines = this.scenario.cluster.traceLines.slice(this.traced).filter((line) => !HIDDEN.test(line));
    this.traced = this.scenario.cluster.traceLines.length;
    return [output, ...lines].join('\n');
  }

  private async runCommand(command: string): Promise<string> {
    const [name, ...args] = command.trim().split(/\s+/);
    switch (name) {
      case 'add-servers':
        return this.addServers(args);
      case 'stabilize':
        return `leader ${await this.s.stabilize()}`;
      case 'put': {
        const result = await this.s.write(Number(args[0]), args[1]!, args[2]!);
        return result.ok ? 'ok' : `error ${result.error}`;
      }
      case 'crash':
      case 'close':
      case 'start':
        for (const sid of args.map(Number)) this.s.cluster[name](sid);
        return 'ok';
      case 'partition': {
        const groups = args.join(' ').split('|').map((group) => group.trim().split(/\s+/).map(Number));
        this.s.cluster.network.partition(groups, { notify: false });
        return 'ok';
      }
      case 'heal':
        this.s.cluster.network.heal();
        return 'ok';
      case 'run':
        await this.s.run(Number(args[0]));
        return 'ok';
      case 'status':
        return this.status();
      case 'values':
        return this.s.cluster
          .running()
          .map((sid) => `${sid}: ${this.s.value(sid, args[0]!) ?? '(none)'}`)
          .join('\n');
      case 'put-big': {
        const value = `${args[1]}:${'x'.repeat(Number(args[2]) * 1024)}`;
        const result = await this.s.write(Number(args[0]), args[1]!, value);
        return result.ok ? 'ok' : `error ${result.error}`;
      }
      case 'writer':
        return this.writerCommand(args);
      case 'slow-disk':
        this.s.cluster.storage(Number(args[0])).setWriteLatency(Number(args[1]), Number(args[1]));
        return 'ok';
      case 'add-tracing':
        this.tracing = true;
        this.traced = this.s.cluster.traceLines.length;
        return 'tracing';
      case 'session':
      case 'once':
      case 'send-once':
      case 'answer':
      case 'ls':
        return (this.once ??= new OnceCommands(this.s)).run(name, args);
      case 'drop': {
        const [from, to, kind] = [Number(args[0]), Number(args[1]), args[2]];
        this.s.drop((sender, receiver, message) => sender === from && receiver === to && message.kind === kind);
        return 'ok';
      }
      case 'deliver-all':
        this.s.deliverAll();
        return 'ok';
      case 'marks':
        return [...this.s.cluster.marks]
          .filter(([mark]) => mark.startsWith(args.join(' ')))
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([mark, count]) => `${mark}: ${count}`)
          .join('\n') || '(none)';
      default:
        throw new Error(`unknown command ${JSON.stringify(name)}`);
    }
  }

  private writerCommand(args: string[]): string {
    if (args[0] === 'stop') {
      const writer = this.writer;
      if (writer === null) return 'no writer';
      writer.stopped = true;
      this.writer = null;
      return `stopped after ${writer.count} writes`;
    }
    const sid = Number(args[1]);
    const key = args[2]!;
    const writer = { stopped: false, count: 0 };
    this.writer = writer;
    const writeOne = (): void => {
      if (writer.stopped || !this.s.cluster.isRunning(sid)) return;
      this.s.node(sid).request('op', { type: 'put', key, value: `w${writer.count}` }, (result) => {
        if (result.ok) writer.count++;
        this.s.world.scheduleAfter(0, writeOne);
      });
    };
    this.s.world.scheduleAfter(0, writeOne);
    return 'ok';
  }

  private get s(): Scenario {
    if (!this.scenario) throw new Error('add-servers first');
    return this.scenario;
  }

  private async addServers(args: string[]): Promise<string> {
    const options = Object.fromEntries(args.slice(1).map((arg) => arg.split('=') as [string, string]));
    this.scenario = await Scenario.started({
      voters: Number(args[0]),
      observers: Number(options['observers'] ?? 0),
      snapshotEveryTxns: options['snapshot-every'] ? Number(options['snapshot-every']) : undefined,
      retainLogTxns: options['retain'] ? Number(options['retain']) : undefined,
      createMachine: options['machine'] === 'tree' ? () => new DataTree() : () => new KvMachine(),
      // Always traced: `trace=on` or `add-tracing` only decides from when the trace is printed.
      trace: true,
    });
    this.tracing = options['trace'] === 'on';
    this.traced = this.scenario.cluster.traceLines.length;
    return this.status();
  }

  private status(): string {
    return this.s.cluster
      .sids()
      .map((sid) => {
        const node = this.s.cluster.node(sid);
        if (!node) return `${sid}: down`;
        const server = node.inspect();
        const serving = server.serving ? ' serving' : '';
        return `${sid}: ${server.state}${serving} epoch ${server.currentEpoch} last ${formatZxid(server.log.lastZxid)} committed ${formatZxid(server.committedZxid)}`;
      })
      .join('\n');
  }
}

/** Heartbeats, their answers and link events: every tick has them, and they tell nothing here. */
const HIDDEN = / (PING|PONG) \d+$| link-(up|down) /;

/** Splits a script into blocks: prose comments, a command, `----`, the expected output. */
export interface ScriptBlock {
  readonly prose: string[];
  readonly command: string;
  readonly expected: string;
}

export function parseScript(text: string): ScriptBlock[] {
  const blocks: ScriptBlock[] = [];
  const lines = text.split('\n');
  let prose: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.startsWith('#') || line.trim() === '') {
      prose.push(line);
      continue;
    }
    if (lines[index + 1] !== '----') throw new Error(`line ${index + 2}: expected ---- after ${JSON.stringify(line)}`);
    const expected: string[] = [];
    index += 2;
    while (index < lines.length && lines[index] !== '') expected.push(lines[index++]!);
    blocks.push({ prose, command: line, expected: expected.join('\n') });
    prose = [];
  }
  return blocks;
}

export function formatScript(blocks: readonly ScriptBlock[], outputs: readonly string[]): string {
  return blocks.map((block, index) => [...block.prose, block.command, '----', outputs[index], '', ''].join('\n')).join('').replace(/\n+$/, '\n');
}
