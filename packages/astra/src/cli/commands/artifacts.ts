import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { AstraError } from '../../errors/index.js';
import { type ClientFlags, withClient, withClientOptions } from './connection.js';
import type { CliContext } from './context.js';

/**
 * `astra artifact get <sha256|uri> [--out FILE]` downloads an artifact (under the access rules of
 * the task that stored it: a 404 when the token may not read that task) to FILE, default
 * `./<sha256>`, written aside and moved into place once complete; it prints the file, the size and
 * the media type. `astra artifact list <task-id>` prints what a task stored (JSON).
 */
const URI_PREFIX = 'astra://artifacts/';
const SHA256 = /^[0-9a-f]{64}$/;

function shaOf(ref: string): string {
  const sha = (ref.startsWith(URI_PREFIX) ? ref.slice(URI_PREFIX.length) : ref).toLowerCase();
  if (!SHA256.test(sha))
    throw new AstraError(
      'ASTRA_VALIDATION_FAILED',
      `not an artifact: ${ref} (a SHA-256 or ${URI_PREFIX}<sha256>)`,
    );
  return sha;
}

export function registerArtifactCommands(program: Command, context: CliContext): void {
  const artifact = program.command('artifact').description("download and list tasks' artifacts");
  withClientOptions(
    artifact
      .command('get')
      .argument('<artifact>', `its SHA-256 or ${URI_PREFIX}<sha256>`)
      .description('download an artifact to a file'),
  )
    .option('--out <file>', 'where to write it (default ./<sha256>)')
    .action((ref: string, flags: ClientFlags & { out?: string }) =>
      withClient(context, flags, async (client) => {
        const sha = shaOf(ref);
        const target = path.resolve(flags.out ?? sha);
        const response = await client.getArtifact(sha);
        if (response.body === null) throw new AstraError('ASTRA_INTERNAL', 'the server sent no body');
        const partial = `${target}.partial-${process.pid}`;
        try {
          await pipeline(
            Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
            createWriteStream(partial, { flags: 'wx', mode: 0o600 }),
          );
          await rename(partial, target);
        } catch (error) {
          await rm(partial, { force: true });
          throw error;
        }
        const size = response.headers.get('content-length') ?? '?';
        context.output.out(
          `${target} (${size} bytes, ${response.headers.get('content-type') ?? 'unknown type'})`,
        );
      }),
    );
  withClientOptions(
    artifact.command('list').argument('<task-id>').description('list the artifacts a task stored (JSON)'),
  ).action((taskId: string, flags: ClientFlags) =>
    withClient(context, flags, async (client) =>
      context.output.out(JSON.stringify(await client.listTaskArtifacts(taskId), null, 2)),
    ),
  );
}
