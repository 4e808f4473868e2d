// `npm run bench:responsiveness`: an embedded node's latency under one large goal; CLI below says
// what it measures (`--help`).
import { runBench, text } from './cli.js';
import { measureResponsiveness, RESPONSIVENESS_DEFAULTS } from './responsiveness.js';

const CLI = {
  name: 'responsiveness-main',
  command: 'npm run bench:responsiveness --',
  about: `
/health and API read latency of an embedded node while it runs a 2,000-task chain and a
10,000-task plan (responsiveness.ts), and how long its event loop was held. Prints one JSON line.`,
  flags: {
    'cpu-prof-dir': {
      check: text,
      value: 'DIR',
      help: "Write the node's CPU profile (node --cpu-prof) into DIR.",
    },
  },
} as const;

runBench(CLI, async (flags) => {
  const cpuProfDir = flags['cpu-prof-dir'];
  const result = await measureResponsiveness({
    ...RESPONSIVENESS_DEFAULTS,
    ...(cpuProfDir === undefined ? {} : { cpuProfDir }),
  });
  console.log(JSON.stringify(result));
});
