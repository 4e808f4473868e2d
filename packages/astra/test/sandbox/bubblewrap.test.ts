import { expect, it } from 'vitest';
import { createBubblewrapDriver } from '../../src/adapters/sandbox/bubblewrap/driver.js';
import { availability, describeSandboxConformance } from './conformance.suite.js';
import { describeSandboxEscapes } from './escape.suite.js';
import { processKit } from './process-kit.js';

const kit = processKit('bubblewrap', () => createBubblewrapDriver({ slots: 8 }));
const conformance = await availability(kit);
describeSandboxConformance(kit, conformance.driver, conformance.state);
const escapes = await availability(kit);
describeSandboxEscapes(kit, escapes.driver, escapes.state);

// CI installs bubblewrap (.ci/run): there the suites must run, not skip.
it.runIf(process.env.ASTRA_TEST_REQUIRE_SERVICES === '1')(
  'bubblewrap is available where CI requires it',
  () => {
    expect(conformance.state).toMatchObject({ ok: true });
  },
);
