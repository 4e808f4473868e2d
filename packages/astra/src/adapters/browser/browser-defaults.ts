/** The browser pool's defaults; the settings (config/settings.ts) take theirs from here. */
export const BROWSER_DEFAULTS = {
  /** Debian's Chromium (`apt-get install chromium`). */
  executablePath: '/usr/bin/chromium',
  /** Browsers kept, and so the most browser calls running at once on a node. */
  poolSize: 2,
  /** One action (a click, a fill, a navigation's load) before it fails `timeout`. */
  actionTimeoutMs: 15_000,
  /** Starting one browser process. */
  launchTimeoutMs: 30_000,
  /** Sessions one browser serves before it is replaced by a new process (bounds what leaks). */
  maxSessionsPerBrowser: 200,
} as const;
