import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The SDK's install path outside the workspace (packages/sdk/README.md): `npm pack` of
 * packages/sdk gives a tarball with the built `dist`, which installs into an empty project and
 * imports there, without the registry (the SDK has no dependencies).
 */
const SDK_DIR = fileURLToPath(new URL('../../../sdk', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'astra-sdk-pack-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

const npm = (args: readonly string[], cwd: string): string =>
  execFileSync('npm', [...args, '--cache', path.join(work, 'npm-cache'), '--no-audit', '--no-fund'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });

describe('@astra/sdk from its tarball', () => {
  it('packs the built dist, installs into a fresh project and imports', () => {
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], SDK_DIR)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = packed[0]?.files.map((file) => file.path) ?? [];
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/index.js',
        'dist/index.d.ts',
        'dist/operations.js',
        'dist/worker.js',
        'README.md',
        'package.json',
      ]),
    );
    expect(files.filter((file) => file.startsWith('src/') || file.startsWith('test/'))).toEqual([]);
    const tarball = path.join(work, packed[0]?.filename as string);

    const project = path.join(work, 'project');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'uses-astra', private: true, type: 'module' }),
    );
    npm(['install', '--offline', tarball], project);
    expect(readdirSync(path.join(project, 'node_modules', '@astra'))).toEqual(['sdk']);
    const probe = `import('@astra/sdk').then((sdk) => {
      const client = new sdk.AstraClient({ baseUrl: 'http://astra.invalid' });
      console.log(JSON.stringify({
        exports: Object.keys(sdk).sort(),
        methods: ['submitGoal', 'getGraph', 'listAgents', 'decideApproval', 'login', 'events'].filter((m) => typeof client[m] === 'function'),
      }));
    })`;
    const seen = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
        cwd: project,
        encoding: 'utf8',
      }),
    );
    expect(seen).toEqual({
      exports: [
        'AstraApiError',
        'AstraClient',
        'AstraOperations',
        'ChatConnection',
        'ChatError',
        'FatalTaskError',
        'Worker',
      ],
      methods: ['submitGoal', 'getGraph', 'listAgents', 'decideApproval', 'login', 'events'],
    });
  }, 120_000);
});
