export { sandboxEgressOf } from '../../ports/sandbox-egress.js';
export { type AddressClass, classifyAddress } from './address-class.js';
export { EGRESS_DEFAULTS } from './egress-defaults.js';
export { compileGrants, decide } from './grants.js';
export { createEgressProxy, type EgressProxyOptions } from './proxy.js';
export { createLogEgressSink, createMemoryEgressSink, type MemoryEgressSink } from './sinks.js';
export { type EgressResolver, systemResolver } from './upstream-address.js';
