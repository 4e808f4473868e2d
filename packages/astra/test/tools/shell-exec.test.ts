import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBubblewrapDriver } from '../../src/adapters/sandbox/bubblewrap/driver.js';
import { Secret } from '../../src/config/secret.js';
import type { SandboxDriver } from '../../src/ports/sandbox.js';
import { shellExecRunner } from '../../src/services/tools/index.js';
import { startHttpUpstream, type Upstream } from '../egress/upstream.js';
import { errorOf, openToolHarness, resultOf, type ToolHarness, toolTask } from './tool-harness.js';

/**
 * `shell_exec` over a real kernel, executor and bubblewrap (docs/tools.md): the command works in
 * the goal's workspace (what file_write wrote is there, what it writes file_read reads next),
 * a non-zero exit is a result, a deadline is a structured failure, the manifest's secrets arrive
 * as files and never leave in the result, and the network is the egress proxy's alone.
 */
const driver: SandboxDriver = createBubblewrapDriver({ slots: 2 });
const availability = await driver.available();
const reason = availability.ok ? '' : availability.reason;

describe.skipIf(!availability.ok)(
  `shell_exec in bubblewrap${reason === '' ? '' : ` (skipped: ${reason})`}`,
  () => {
    let h: ToolHarness;
    let upstream: Upstream;
    const token = 'tok-shell-5f1c9d0a7e2b';

    beforeAll(async () => {
      upstream = await startHttpUpstream();
      h = await openToolHarness({
        runners: (callerOf) => new Map([['shell_exec', shellExecRunner(driver, callerOf)]]),
        secrets: [{ name: 'shell_token', env: 'ASTRA_SECRET_SHELL_TOKEN', value: new Secret(token) }],
      });
    });
    afterAll(async () => {
      await h?.dispose();
      await upstream?.close();
      await driver.close();
    });

    /** Registers a version of shell_exec: the same command schema, its own limits, filesystem and effect. */
    const registerShell = (version: string, more: Record<string, unknown>) =>
      h.register({
        name: 'shell_exec',
        version,
        risk_tier: 'high',
        sandbox: 'bubblewrap',
        input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
        ...more,
      });

    it("sees the goal's workspace as its working directory and writes back to it", async () => {
      const { goalId, tasks } = await h.run([
        toolTask('write', 'file_write', { path: 'in/a.txt', content: 'from file_write\n' }),
        toolTask('write-gone', 'file_write', { path: 'gone.txt', content: 'remove me' }),
        toolTask(
          'shell',
          'shell_exec',
          { command: 'pwd; cat in/a.txt; mkdir -p out && echo made by shell > out/b.txt; rm gone.txt' },
          { dependsOn: ['write', 'write-gone'] },
        ),
        toolTask('read', 'file_read', { path: 'out/b.txt' }, { dependsOn: ['shell'] }),
        toolTask('list', 'list_files', {}, { dependsOn: ['shell'] }),
      ]);
      const shell = resultOf(tasks.get('shell'));
      expect(shell).toMatchObject({
        stdout: '/workspace\nfrom file_write\n',
        stderr: '',
        exit_code: 0,
        workspace: { written: ['out/b.txt'], removed: ['gone.txt'] },
      });
      expect(resultOf(tasks.get('read'))).toMatchObject({ content: 'made by shell\n' });
      const names = (resultOf(tasks.get('list')).entries as { name: string }[]).map((entry) => entry.name);
      expect(names.sort()).toEqual(['in', 'out']);
      // Written back owner-only, by the node's own uid, not the sandbox's.
      const dir = (await h.workspaces.of(goalId)).dir;
      const info = await stat(path.join(dir, 'out/b.txt'));
      expect(info.mode & 0o777).toBe(0o600);
      expect(info.uid).toBe(process.getuid?.());
    });

    it('answers a non-zero exit as a result with both streams', async () => {
      const { tasks } = await h.run([
        toolTask('fail', 'shell_exec', { command: 'echo out; echo err >&2; exit 3' }),
      ]);
      expect(resultOf(tasks.get('fail'))).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exit_code: 3 });
    });

    it('ends a command past its wall time with a structured failure and applies nothing back', async () => {
      await registerShell('0.1.0', {
        filesystem: 'workspace',
        limits: { wall_ms: 500 },
        side_effect: 'irreversible',
      });
      const { goalId, tasks } = await h.run([
        toolTask('slow', 'shell_exec@0.1.0', { command: 'echo partial > partial.txt; exec sleep 60' }),
      ]);
      const error = errorOf(tasks.get('slow'));
      expect(error).toMatchObject({
        code: 'ASTRA_TOOL_FAILED',
        details: { sandbox_code: 'ASTRA_SANDBOX_TIMEOUT', tool: 'shell_exec@0.1.0' },
      });
      const dir = (await h.workspaces.of(goalId)).dir;
      await expect(stat(path.join(dir, 'partial.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('keeps a read-only workspace read-only and links out of it out of the host', async () => {
      await registerShell('0.2.0', {
        filesystem: 'workspace_read',
        side_effect: 'read_only',
      });
      const { tasks } = await h.run([
        toolTask('write', 'file_write', { path: 'keep.txt', content: 'kept' }),
        toolTask(
          'ro',
          'shell_exec@0.2.0',
          { command: 'cat keep.txt; echo x > keep.txt || echo refused' },
          { dependsOn: ['write'] },
        ),
        toolTask(
          'link',
          'shell_exec',
          { command: 'ln -s /etc/passwd pw && echo linked' },
          { dependsOn: ['ro'] },
        ),
        toolTask('list', 'list_files', {}, { dependsOn: ['link'] }),
      ]);
      expect(resultOf(tasks.get('ro')).stdout).toBe('keptrefused\n');
      expect(resultOf(tasks.get('link'))).toMatchObject({ stdout: 'linked\n', workspace: { written: [] } });
      const entries = resultOf(tasks.get('list')).entries as { name: string }[];
      expect(entries.map((entry) => entry.name)).toEqual(['keep.txt']);
    });

    it('gets its secrets as files and never hands their values back', async () => {
      await registerShell('0.3.0', {
        filesystem: 'workspace',
        side_effect: 'irreversible',
        secrets: ['shell_token'],
      });
      const { goalId, tasks } = await h.run([
        toolTask('secret', 'shell_exec@0.3.0', {
          command:
            'cat "$ASTRA_FILES/secrets/shell_token"; echo; env | grep -c tok- || true; cp "$ASTRA_FILES/secrets/shell_token" copied',
        }),
      ]);
      const result = resultOf(tasks.get('secret'));
      expect(result.stdout).toBe('[redacted:shell_token]\n0\n');
      expect(JSON.stringify(result)).not.toContain(token);
      // A file the command wrote is the workspace's (what it holds is the tool's business).
      const dir = (await h.workspaces.of(goalId)).dir;
      expect(await readFile(path.join(dir, 'copied'), 'utf8')).toBe(token);
    });

    it('has no network unless a host is granted, then only through the egress proxy', async () => {
      const command = `test -S "\${ASTRA_EGRESS_SOCKET:-/none}" && curl -s --unix-socket "$ASTRA_EGRESS_SOCKET" http://127.0.0.1:${upstream.port}/hello || echo no-network`;
      const bare = await h.run([toolTask('bare', 'shell_exec', { command })]);
      expect(resultOf(bare.tasks.get('bare')).stdout).toBe('no-network\n');

      await h.setConfig({ egress_allow: [{ host: '127.0.0.1', ports: [upstream.port] }] });
      try {
        const seen = upstream.received.length;
        const granted = await h.run([toolTask('granted', 'shell_exec', { command })]);
        const out = JSON.parse(String(resultOf(granted.tasks.get('granted')).stdout)) as { path: string };
        expect(out.path).toBe('/hello');
        expect(upstream.received.length).toBe(seen + 1);
        const records = await h.tools.egressLog.waitFor(1);
        expect(records.at(-1)).toMatchObject({
          agentId: h.agentId,
          taskId: granted.tasks.get('granted')?.id,
          tool: 'shell_exec@1.0.0',
          host: '127.0.0.1',
          outcome: 'allowed',
        });
      } finally {
        await h.setConfig({});
      }
    });

    it('copies nothing of a workspace larger than the copy allows', async () => {
      const { goalId, tasks } = await h.run([toolTask('touch', 'file_write', { path: 'x', content: '' })]);
      expect(resultOf(tasks.get('touch'))).toMatchObject({ bytes: 0 });
      const dir = (await h.workspaces.of(goalId)).dir;
      await writeFile(path.join(dir, 'x'), 'y');
      // The driver's own check, as the runner hands it: a copy limit refuses before anything runs.
      const outcome = await driver.run({
        program: { kind: 'process', argv: ['/bin/true'] },
        workspace: { dir, writable: true, maxFiles: 1 },
      });
      expect(outcome.ok).toBe(true);
      const over = await driver.run({
        program: { kind: 'process', argv: ['/bin/sh', '-c', 'echo a > a; echo b > b; echo c > c'] },
        workspace: { dir, writable: true, maxFiles: 2 },
      });
      expect(over).toMatchObject({ ok: false, code: 'ASTRA_SANDBOX_WORKSPACE_LIMIT' });
      await expect(stat(path.join(dir, 'a'))).rejects.toMatchObject({ code: 'ENOENT' });
    });
  },
);
