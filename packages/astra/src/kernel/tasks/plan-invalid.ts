import { AstraError } from '../../errors/index.js';

/** The answer to a plan that breaks a rule: ASTRA_PLAN_INVALID with the offending path. */
export function planInvalid(path: string, reason: string): AstraError {
  return new AstraError('ASTRA_PLAN_INVALID', `plan ${path}: ${reason}`, { details: { path, reason } });
}
