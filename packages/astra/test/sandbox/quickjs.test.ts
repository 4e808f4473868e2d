import { availability, describeSandboxConformance } from './conformance.suite.js';
import { describeSandboxEscapes } from './escape.suite.js';
import { quickJsKit } from './quickjs-kit.js';

const conformance = await availability(quickJsKit);
describeSandboxConformance(quickJsKit, conformance.driver, conformance.state);
const escapes = await availability(quickJsKit);
describeSandboxEscapes(quickJsKit, escapes.driver, escapes.state);
