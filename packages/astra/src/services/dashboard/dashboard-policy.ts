/** Where the gateway serves the dashboard. */
export const DASHBOARD_PATH = '/superadmin/dashboard/';

/**
 * The page's Content-Security-Policy: its own script and stylesheet only (no inline code, no
 * other origin), calls to this origin only, no frames, no plugins, no form posts elsewhere.
 */
export const DASHBOARD_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
