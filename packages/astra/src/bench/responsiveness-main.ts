import { parseArgs } from 'node:util';
import { measureResponsiveness, RESPONSIVENESS_DEFAULTS } from './responsiveness.js';

// `npm run bench:responsiveness [-- --cpu-prof-dir DIR]`: /health and API read latency of an
// embedded node while it runs a 2,000-task chain and a 10,000-task plan (responsiveness.ts), and how
// long its event loop was held. Prints one JSON line.
const { values } = parseArgs({ options: { 'cpu-prof-dir': { type: 'string' } } });
const cpuProfDir = values['cpu-prof-dir'];
const result = await measureResponsiveness({
  ...RESPONSIVENESS_DEFAULTS,
  ...(cpuProfDir === undefined ? {} : { cpuProfDir }),
});
console.log(JSON.stringify(result));
