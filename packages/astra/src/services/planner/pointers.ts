/**
 * JSON Pointers (RFC 6901) for the planner's issues: the kernel names places as readable paths
 * (`tasks[2].payload.body[0]`, `tasks[0].payload["odd key"]`); a model is told `/tasks/2/payload/body/0`.
 */
export const escapeToken = (token: string): string => token.replaceAll('~', '~0').replaceAll('/', '~1');

export const pointerOf = (tokens: readonly (string | number)[]): string =>
  tokens.map((token) => `/${escapeToken(String(token))}`).join('');

const STEP = /^(?:\.?([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;

/** The kernel's readable path as a JSON Pointer; what cannot be read is left at the last place read. */
export function kernelPathToPointer(path: string): string {
  const tokens: string[] = [];
  let rest = path;
  while (rest.length > 0) {
    const step = STEP.exec(rest);
    if (step === null) break;
    tokens.push(step[1] ?? step[2] ?? (JSON.parse(step[3] as string) as string));
    rest = rest.slice(step[0].length);
  }
  return pointerOf(tokens);
}

/** Whether `path` is `at` or a place inside it. */
export const isWithin = (path: string, at: string): boolean => path === at || path.startsWith(`${at}/`);

/** The pointers (from `value`'s root) of every `$from` reference in it: their values are known only at claim. */
export function referencePointers(value: unknown, at = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  if (!Array.isArray(value) && '$from' in value) return [at];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return entries.flatMap(([key, child]) => referencePointers(child, `${at}/${escapeToken(key)}`));
}
