export { BROWSER_DEFAULTS } from './browser-defaults.js';
export { chromiumArgs, chromiumSandboxAvailable } from './launch-flags.js';
export { type BrowserPoolOptions, createBrowserPool } from './pool.js';
