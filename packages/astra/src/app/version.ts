import { readFileSync } from 'node:fs';

/** The package's version, read once: light enough for the CLI to print without loading a node. */
export const ASTRA_VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;
