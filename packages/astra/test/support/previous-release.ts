import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * The previous release's code, runnable next to this checkout (docs/operations.md, "Migrations and
 * the previous release"):
 *
 * - Which release: the newest tag `v*` reachable from HEAD; while there is none, the commit in
 *   ops/previous-release. A clone without that commit (a shallow one) cannot run the check.
 * - How it is built: `git archive` of the platform's and the SDK's sources, bin, workers and
 *   migrations into node_modules/.cache/astra-previous/<commit>/, each TypeScript file transpiled
 *   by esbuild into dist/ beside it (the layout `tsc -b` writes, so every path the code finds from
 *   its own URL holds), about a second against a minute for tsc. Packages come from this checkout's
 *   node_modules (the cache sits under it); the SDK is the old one, placed in the cache's own
 *   node_modules. A built commit is reused by later runs.
 */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CACHE = path.join(ROOT, 'node_modules/.cache/astra-previous');
const RELEASE_FILE = path.join(ROOT, 'ops/previous-release');
const PATHS = [
  'packages/astra/src',
  'packages/astra/bin',
  'packages/astra/workers',
  'packages/astra/migrations',
  'packages/astra/package.json',
  'packages/sdk/src',
  'packages/sdk/package.json',
];

export interface PreviousRelease {
  readonly commit: string;
  /** The tag, or `ops/previous-release`. */
  readonly from: string;
}

const git = (args: readonly string[]): string =>
  execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

export function previousRelease(): PreviousRelease {
  let tag = '';
  try {
    tag = git(['describe', '--tags', '--abbrev=0', '--match', 'v*', 'HEAD']);
  } catch {
    // No tag: the recorded commit.
  }
  if (tag.length > 0) return { commit: git(['rev-list', '-n', '1', tag]), from: tag };
  const line = readFileSync(RELEASE_FILE, 'utf8')
    .split('\n')
    .map((text) => text.trim())
    .find((text) => text.length > 0 && !text.startsWith('#'));
  if (line === undefined || !/^[0-9a-f]{40}$/.test(line))
    throw new Error(`${RELEASE_FILE} names no 40-hex commit`);
  return { commit: line, from: 'ops/previous-release' };
}

/** Whether this clone holds the commit (a shallow clone may not). */
export function haveCommit(commit: string): boolean {
  try {
    git(['cat-file', '-e', `${commit}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/** Builds the commit (once; later calls reuse it) and answers the path of its `bin/astra.js`. */
export async function buildRelease(commit: string): Promise<string> {
  const dir = path.join(CACHE, commit);
  const bin = path.join(dir, 'packages/astra/bin/astra.js');
  if (existsSync(path.join(dir, 'built'))) return bin;
  const staging = `${dir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const tar = execFileSync('git', ['archive', '--format=tar', commit, ...PATHS], {
    cwd: ROOT,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync('tar', ['-x', '-C', staging], { input: tar });
  await transpile(path.join(staging, 'packages/astra/src'), path.join(staging, 'packages/astra/dist'));
  const sdk = path.join(staging, 'node_modules/@astra/sdk');
  await transpile(path.join(staging, 'packages/sdk/src'), path.join(sdk, 'dist'));
  cpSync(path.join(staging, 'packages/sdk/package.json'), path.join(sdk, 'package.json'));
  writeFileSync(path.join(staging, 'built'), `${commit}\n`);
  rmSync(dir, { recursive: true, force: true });
  // Another run may have finished the same commit first: either copy will do.
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true });
  }
  return bin;
}

/** Each .ts file (not .d.ts) to .js at the same place under `outDir`; other files copied as they are. */
async function transpile(srcDir: string, outDir: string): Promise<void> {
  const files = readdirSync(srcDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
  const sources = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
  for (const file of files.filter((name) => !name.endsWith('.ts'))) {
    const target = path.join(outDir, path.relative(srcDir, file));
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(file, target);
  }
  await build({
    entryPoints: sources,
    outdir: outDir,
    outbase: srcDir,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Node 20 reads `with { type: 'json' }`; esbuild's node20 table would drop it.
    supported: { 'import-attributes': true },
    logLevel: 'warning',
  });
}
