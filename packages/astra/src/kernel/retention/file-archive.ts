import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/**
 * Archival to files: a retired partition's rows, one JSON object a line, gzipped, in
 * `<dir>/<partition>.jsonl.gz`. Written to a `.partial` name and renamed once complete, so a file
 * under the final name is whole; the partition is dropped only after the rename.
 */
export type PartitionExporter = (partition: string, pages: AsyncIterable<string[]>) => Promise<string>;

export function fileExporter(dir: string): PartitionExporter {
  return async (partition, pages) => {
    await mkdir(dir, { recursive: true });
    const target = path.join(dir, `${partition}.jsonl.gz`);
    const partial = `${target}.partial`;
    const lines = async function* (): AsyncGenerator<string> {
      for await (const page of pages) yield page.map((line) => `${line}\n`).join('');
    };
    await pipeline(Readable.from(lines()), createGzip(), createWriteStream(partial));
    await rename(partial, target);
    return target;
  };
}
