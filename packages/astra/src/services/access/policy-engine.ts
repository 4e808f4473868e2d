import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { LRUCache } from 'lru-cache';
import { CEDAR_SCHEMA } from './policies.js';

/**
 * Cedar (through its WebAssembly build) evaluates every decision. A policy set is parsed once per
 * version (`load`), then requests are evaluated against the parsed set. Cedar is deterministic:
 * the same policies, entities, action and context always give the same answer, so answers are
 * memoized on exactly those inputs (the key is the serialized request, so any change of a fact —
 * a membership, a collaborator, a visibility — is a different key, never a stale answer).
 */
export interface CedarRequest {
  readonly principal: cedar.EntityUidJson;
  readonly action: string;
  readonly resource: cedar.EntityUidJson;
  readonly entities: cedar.EntityJson[];
  readonly context?: cedar.Context;
}

export interface Decision {
  readonly allowed: boolean;
  /** Ids of the policies that decided (the permits that matched, or the forbids). */
  readonly reasons: readonly string[];
  readonly errors: readonly string[];
  readonly policyVersion: number;
}

const messages = (errors: readonly cedar.DetailedError[]): string[] => errors.map((error) => error.message);

interface CheckedText {
  /** Parse errors and schema violations (none: valid). */
  readonly errors: readonly string[];
  /** The policies by id, when the text is valid. */
  readonly named: NamedPolicies | null;
}

// A text is checked once per process: a node checks its policy set when it stores a version and
// again when it loads one (about 0.25 s of WebAssembly for the built-in set), and the checks of one
// text always give the same answer (the schema is fixed).
const checkedTexts = new LRUCache<string, CheckedText>({ max: 16 });

function check(text: string): CheckedText {
  const known = checkedTexts.get(text);
  if (known !== undefined) return known;
  let checked: CheckedText;
  const answer = cedar.validate({ schema: CEDAR_SCHEMA, policies: { staticPolicies: text } });
  if (answer.type === 'failure') checked = { errors: messages(answer.errors), named: null };
  else {
    const errors = answer.validationErrors.map((error) => `${error.policyId}: ${error.error.message}`);
    if (errors.length > 0) checked = { errors, named: null };
    else
      try {
        checked = { errors: [], named: namedPolicies(text) };
      } catch (error) {
        checked = { errors: [(error as Error).message], named: null };
      }
  }
  checkedTexts.set(text, checked);
  return checked;
}

/** Errors that make a policy text unusable: parse errors and schema violations (none: valid). */
export function validatePolicies(text: string): string[] {
  return [...check(text).errors];
}

/** The annotation that makes a matching permit of `tool.call` require people's approval (access/tool-policy.ts). */
export const REQUIRE_APPROVAL = 'require_approval';

interface NamedPolicies {
  readonly named: Record<string, string>;
  /** The ids of the permits annotated `@require_approval`. */
  readonly requireApproval: ReadonlySet<string>;
}

/**
 * The policies of a text by their `@id` annotation (Cedar itself numbers them `policy0`…), so a
 * decision names the rules that made it. Policies without an `@id` keep Cedar's number. A
 * `@require_approval` annotation is for permits only: on a forbid it would mean nothing.
 */
function namedPolicies(text: string): NamedPolicies {
  const parts = cedar.policySetTextToParts(text);
  if (parts.type === 'failure') throw new Error(messages(parts.errors).join('; '));
  const named: Record<string, string> = {};
  const requireApproval = new Set<string>();
  parts.policies.forEach((policy, index) => {
    const id = /@id\(\s*"((?:[^"\\]|\\.)*)"\s*\)/.exec(policy)?.[1] ?? `policy${index}`;
    if (id in named) throw new Error(`two policies have the id ${id}`);
    named[id] = policy;
    const json = cedar.policyToJson(policy);
    if (json.type === 'failure') throw new Error(messages(json.errors).join('; '));
    if (json.json.annotations === undefined || !(REQUIRE_APPROVAL in json.json.annotations)) return;
    if (json.json.effect !== 'permit') throw new Error(`${id}: only a permit can be @${REQUIRE_APPROVAL}`);
    requireApproval.add(id);
  });
  return { named, requireApproval };
}

/**
 * One evaluation in WebAssembly, kept out of line, with plain loops over its answer: Node 20's
 * optimizer crashed ("unreachable code" in the deoptimizer) when a frame that had inlined this call
 * and an array callback was deoptimized lazily (docs/access.md, "Costs").
 */
function evaluate(request: CedarRequest, version: number): Decision {
  const answer = cedar.statefulIsAuthorized({
    principal: request.principal,
    action: { type: 'Astra::Action', id: request.action },
    resource: request.resource,
    context: request.context ?? {},
    entities: request.entities,
    preparsedPolicySetId: `v${version}`,
  });
  const errors: string[] = [];
  if (answer.type === 'failure') {
    for (const error of answer.errors) errors.push(error.message);
    return { allowed: false, reasons: [], errors, policyVersion: version };
  }
  for (const error of answer.response.diagnostics.errors)
    errors.push(`${error.policyId}: ${error.error.message}`);
  return {
    allowed: answer.response.decision === 'allow',
    reasons: answer.response.diagnostics.reason,
    errors,
    policyVersion: version,
  };
}

export class PolicyEngine {
  #version = 0;
  #requireApproval: ReadonlySet<string> = new Set();
  readonly #memo = new LRUCache<string, Decision>({ max: 50_000 });

  get version(): number {
    return this.#version;
  }

  /** Parses a version; it answers from now on. Throws when the text does not validate. */
  load(version: number, text: string): void {
    const checked = check(text);
    if (checked.named === null)
      throw new Error(`policy set ${version} is invalid: ${checked.errors.join('; ')}`);
    const { named, requireApproval } = checked.named;
    const parsed = cedar.preparsePolicySet(`v${version}`, { staticPolicies: named });
    if (parsed.type === 'failure') throw new Error(messages(parsed.errors).join('; '));
    this.#version = version;
    this.#requireApproval = requireApproval;
  }

  /** Those of a decision's reasons (the permits that matched) annotated `@require_approval`. */
  approvalsAmong(reasons: readonly string[]): string[] {
    const found: string[] = [];
    for (const id of reasons) if (this.#requireApproval.has(id)) found.push(id);
    return found;
  }

  /**
   * The answer to a request. `factsKey`, when given, must name the request's inputs exactly (the
   * facts its entities were built from, the action, the context); it saves serializing the request.
   */
  decide(request: CedarRequest, factsKey?: string): Decision {
    if (this.#version === 0) throw new Error('no policy set loaded');
    const key = `${this.#version}\n${factsKey ?? JSON.stringify(request)}`;
    const known = this.#memo.get(key);
    if (known !== undefined) return known;
    const decision = evaluate(request, this.#version);
    this.#memo.set(key, decision);
    return decision;
  }
}
