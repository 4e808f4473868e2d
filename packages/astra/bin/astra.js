#!/usr/bin/env node
// The `astra` command. It runs the compiled CLI; `npm ci` builds it (the workspace `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'astra: the CLI is not built yet; run `npm run build` in the repository root first.\n',
  );
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2), process.env);
