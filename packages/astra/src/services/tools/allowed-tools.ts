/**
 * An agent's tool allow-list (`allowed_tools`, set by `PATCH /agents/{id}/platform`), as upstream
 * defined it: entries `name` or `name@*` (any version), `name@1.2.0` (that version), `*` (every
 * tool). No list, or an empty one, allows every tool — the manifests, policies and approvals still
 * apply to each call; the list only narrows what an agent may call.
 */
export function toolAllowed(allowed: readonly string[] | null, name: string, version: string): boolean {
  if (allowed === null || allowed.length === 0) return true;
  return allowed.some(
    (entry) => entry === '*' || entry === name || entry === `${name}@*` || entry === `${name}@${version}`,
  );
}
