/**
 * Finding a local Ollama on start: `GET /api/version` with a short timeout. A refused connection
 * answers in well under a millisecond on loopback, so a machine without Ollama pays nothing
 * noticeable; the timeout bounds a host that drops packets.
 */
export const OLLAMA_DETECT_DEFAULTS = {
  enabled: true,
  url: 'http://127.0.0.1:11434',
  timeoutMs: 300,
};

/** The version the Ollama at `baseUrl` reports, or null when none answers in time. */
export async function detectOllama(baseUrl: string, timeoutMs: number): Promise<string | null> {
  try {
    const response = await fetch(`${baseUrl.replace(/\/+$/, '')}/api/version`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return null;
    const body = (await response.json()) as { version?: unknown };
    return typeof body.version === 'string' ? body.version : null;
  } catch {
    return null;
  }
}
