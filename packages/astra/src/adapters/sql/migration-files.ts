import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AstraError } from '../../errors/index.js';

/**
 * Migration files: `NNNN_name.sql` (four digits, then lower-case words joined by underscores) in
 * one folder, applied in number order. They are append-only: once applied, a file's checksum
 * (sha256 of its bytes) is recorded and must never change; a fix is a new file.
 * A file runs inside a transaction, so it must not contain BEGIN/COMMIT or statements that refuse
 * to run in one (CREATE INDEX CONCURRENTLY, VACUUM).
 */
export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly fileName: string;
  readonly sql: string;
  readonly checksum: string;
}

const FILE_NAME = /^(\d{4})_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$/;

/**
 * The package's own migrations folder. This module sits at src/adapters/sql/ under vitest and at
 * dist/adapters/sql/ after the build; both are three levels below the package root.
 */
export function defaultMigrationsDir(): string {
  return fileURLToPath(new URL('../../../migrations/', import.meta.url));
}

/** Reads and checks every `.sql` file in `dir`; other files (a README) are ignored. */
export async function readMigrationFiles(dir: string = defaultMigrationsDir()): Promise<MigrationFile[]> {
  const entries = (await readdir(dir)).filter((entry) => entry.endsWith('.sql')).sort();
  const byVersion = new Map<number, string>();
  const files: MigrationFile[] = [];
  for (const fileName of entries) {
    const match = FILE_NAME.exec(fileName);
    const digits = match?.[1];
    const name = match?.[2];
    if (digits === undefined || name === undefined) {
      throw new AstraError(
        'ASTRA_MIGRATION_INVALID_NAME',
        `migration file ${fileName} is not named NNNN_name.sql`,
        {
          details: { file: fileName },
        },
      );
    }
    const version = Number(digits);
    const clash = byVersion.get(version);
    if (clash !== undefined) {
      throw new AstraError(
        'ASTRA_MIGRATION_INVALID_NAME',
        `migrations ${clash} and ${fileName} share number ${digits}`,
        {
          details: { file: fileName, other: clash },
        },
      );
    }
    byVersion.set(version, fileName);
    const bytes = await readFile(path.join(dir, fileName));
    const checksum = createHash('sha256').update(bytes).digest('hex');
    files.push({ version, name, fileName, sql: bytes.toString('utf8'), checksum });
  }
  return files.sort((a, b) => a.version - b.version);
}

/** One digest over every file's name and bytes: changes whenever the schema they build changes. */
export function migrationSetChecksum(files: readonly MigrationFile[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.fileName}\0${file.checksum}\0`);
  return hash.digest('hex');
}
