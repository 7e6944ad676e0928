/**
 * `npm run cli -- --url http://localhost:3000 --cluster demo [--seat 2] [--json] [--history out.json] < ops.txt`
 * (see run.ts for the behaviour and exit codes, or --help).
 */
import { runCli } from './run.ts';

const exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  interactive: process.stdin.isTTY === true,
  env: process.env,
});
process.exitCode = exitCode;
