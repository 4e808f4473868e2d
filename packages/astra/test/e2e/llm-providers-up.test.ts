import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startOllamaServer } from '../support/llm-servers/index.js';
import { runAstra } from './astra-process.js';

const dataRoot = mkdtempSync(path.join(tmpdir(), 'astra-llm-up-'));
afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

it('astra up prints one line per LLM provider it found, keys never shown', async () => {
  const ollama = await startOllamaServer();
  try {
    const astra = runAstra(
      ['up', '--port', '0', '--data-dir', path.join(dataRoot, 'up'), '--log-level', 'warn'],
      {
        OLLAMA_HOST: `127.0.0.1:${ollama.port}`,
        ANTHROPIC_API_KEY: 'sk-ant-never-printed',
        ASTRA_LLM_DETECT_OLLAMA: 'false',
      },
    );
    await astra.waitForLine(/ready \(embedded\) at/);
    const lines = astra.stdout.filter((line) => line.includes('LLM provider'));
    expect(lines).toEqual([
      'astra: LLM provider anthropic (anthropic, https://api.anthropic.com) from the environment',
      `astra: LLM provider ollama (ollama, ${ollama.url}) from the environment`,
    ]);
    astra.child.kill('SIGTERM');
    expect(await astra.exited).toBe(0);
    expect([...astra.stdout, ...astra.stderr].join('\n')).not.toContain('sk-ant-never-printed');
  } finally {
    await ollama.close();
  }
});
