/**
 * Whether a goal is re-planned after a dead letter (docs/planner.md#re-planning): the submission's
 * `replan` when it says (true or false), else the agent's default, `config.planner.replan` (an
 * agent's JSON config, `PATCH /agents/{id}`), else no. Decided once, at submission: the kernel
 * keeps it on the goal (goals.replan), so changing the agent's default later changes only the
 * goals submitted after.
 */
export function replanPolicy(submitted: boolean | undefined, agentConfig: Record<string, unknown>): boolean {
  if (submitted !== undefined) return submitted;
  const planner = agentConfig.planner;
  return (
    typeof planner === 'object' &&
    planner !== null &&
    !Array.isArray(planner) &&
    (planner as { replan?: unknown }).replan === true
  );
}
