import { measureResponsiveness, RESPONSIVENESS_DEFAULTS } from './responsiveness.js';

// `npm run bench:responsiveness`: /health latency of an embedded node while it runs a 2,000-task
// chain and a 10,000-task plan (responsiveness.ts). Prints one JSON line.
const result = await measureResponsiveness(RESPONSIVENESS_DEFAULTS);
console.log(JSON.stringify(result));
