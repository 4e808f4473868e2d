/**
 * The Chromium command line every pooled browser starts with (Playwright adds its own automation
 * switches, a fresh temporary `--user-data-dir` per launch, and `--headless`):
 * - no background traffic of its own: no component updates, sync, field trials, first-run pages,
 *   default-app installs, or QUIC (UDP, which an HTTP proxy cannot carry);
 * - WebRTC may not send UDP outside a proxy, so its media can only go through the egress proxy's
 *   allow-listed CONNECT tunnels;
 * - the host resolver answers NOTFOUND for every name: the browser never resolves a name itself, so a
 *   request that somehow skipped the proxy could not reach a named host. Names are resolved by the
 *   egress proxy, which checks the address it connects to.
 * `--no-sandbox` only when running as root, where Chromium's own sandbox cannot start.
 */
export function chromiumArgs(): string[] {
  return [
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--disable-domain-reliability',
    '--disable-client-side-phishing-detection',
    '--disable-field-trial-config',
    '--no-first-run',
    '--no-default-browser-check',
    '--no-pings',
    '--disable-quic',
    '--metrics-recording-only',
    '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  ];
}

/** Whether Chromium's sandbox can run: not as root (it refuses to start there without --no-sandbox). */
export function chromiumSandboxAvailable(): boolean {
  return typeof process.getuid !== 'function' || process.getuid() !== 0;
}

/**
 * A proxy nothing listens on, for traffic outside every session (the browser's default context):
 * each session's context overrides it with the egress proxy, so only requests that belong to no
 * session end here, refused.
 */
export const DEAD_PROXY = 'http://127.0.0.1:9';
