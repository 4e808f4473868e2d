/**
 * A dependency the process needs to serve traffic (SQL store, bus, cache). `/ready` runs every
 * check with a deadline; the process is ready only when all pass.
 */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

export interface ReadinessReport {
  readonly ready: boolean;
  /** Each check's outcome and how long it took to answer (or to fail), in milliseconds. */
  readonly checks: Record<
    string,
    { readonly ok: boolean; readonly latency_ms: number; readonly error?: string }
  >;
}

export async function runReadinessChecks(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      });
      const started = performance.now();
      const latency = (): number => Math.round((performance.now() - started) * 100) / 100;
      try {
        await Promise.race([c.check(), deadline]);
        return [c.name, { ok: true, latency_ms: latency() }] as const;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        return [
          c.name,
          {
            ok: false,
            latency_ms: latency(),
            error: typeof code === 'string' ? code : (error as Error).message,
          },
        ] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: results.every(([, r]) => r.ok), checks: Object.fromEntries(results) };
}
