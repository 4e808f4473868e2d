import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { PeerFigures } from './peers/index.js';

/**
 * Runs a benchmark script in a fresh Node process and answers the figures of its last line (the
 * scripts end with one JSON object). Every other line of its output is logged indented, as it
 * comes; a child that fails or ends without figures is an error naming its exit code.
 */
export async function runInChild(argv: readonly string[], log: (line: string) => void): Promise<PeerFigures> {
  const child = spawn(process.execPath, [...process.execArgv, ...argv], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last = '';
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (last !== '') log(`  ${last}`);
    last = line;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`the child run ${argv.slice(1).join(' ')} exited with ${code}`);
  try {
    return JSON.parse(last) as PeerFigures;
  } catch {
    throw new Error(`the child run ${argv.slice(1).join(' ')} ended without a figures line: ${last}`);
  }
}
