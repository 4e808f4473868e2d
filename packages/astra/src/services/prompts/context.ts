import { AstraError } from '../../errors/index.js';
import { readGoal } from '../../kernel/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import {
  type DocType,
  type DocumentRecord,
  listDocuments,
  listRevisions,
  readAgent,
} from '../agents/index.js';
import { countTokens, truncateToTokens } from '../llm/index.js';

/**
 * Context assembly: the system message of an LLM call made for an agent (and a goal), built from
 * what the agents service stores and cut to a token budget with the one tokenizer (llm/tokens.ts).
 *
 * Order (docs/prompts.md): the system prompt first; then rules and skills; then the agent's
 * memories recalled for the goal (when the caller passes `memories`: most relevant first, each with
 * where it came from); then context documents and references. Within a kind of document by the
 * documents' `priority` (lower first), a goal's own documents before the agent-wide ones at the
 * same priority, then oldest first.
 *
 * The system prompt is the agent's active config revision's, or its latest revision's when none is
 * active, or else the agent's `system_prompt` (a revision whose payload sets no system prompt
 * leaves the agent's).
 *
 * Cutting: sections are taken in order while they fit. The first that does not fit is truncated
 * to the room left when that room is at least MIN_TRUNCATED_TOKENS, and everything after it is
 * dropped; when the room is smaller, it is dropped and later, smaller sections may still fit. The
 * system prompt is never dropped: when it alone exceeds the budget it is truncated, and the answer
 * says so (`systemPromptTruncated`, and its section's `truncated`). Every section is reported,
 * included or not.
 */
export type SectionKind = 'system_prompt' | DocType | 'memory';

/** A fact the agent remembers, as the context writes it: its text and its provenance. */
export interface ContextMemory {
  readonly id: string;
  readonly content: string;
  readonly createdAt: string;
  readonly sourceGoalId: string | null;
  readonly sourceTaskId: string | null;
  readonly sourceMessageId: string | null;
}

/** The agent's facts relevant to a query (the goal's text), most relevant first (memory service). */
export type MemoryRecall = (request: {
  readonly orgId: string;
  readonly agentId: string;
  readonly goalId: string | null;
  readonly taskId: string | null;
  readonly query: string;
}) => Promise<readonly ContextMemory[]>;

export interface ContextSection {
  readonly kind: SectionKind;
  /** The document's name; `system prompt` for the system prompt. */
  readonly title: string;
  /** Where it comes from: the agent (its prompt or an agent-wide document) or the goal. */
  readonly scope: 'agent' | 'goal';
  readonly documentId: string | null;
  /** A recalled memory's id (memory sections only). */
  readonly memoryId?: string;
  readonly priority: number | null;
  /** Tokens of its text as written into `system` (0 when dropped). */
  readonly tokens: number;
  /** Tokens of its whole text. */
  readonly fullTokens: number;
  readonly included: boolean;
  readonly truncated: boolean;
}

export interface AssembledContext {
  /** The system message. */
  readonly system: string;
  /** Every section, in order, included or not. */
  readonly sections: readonly ContextSection[];
  /** Tokens of `system` (the real count, at most the budget). */
  readonly tokens: number;
  readonly tokenBudget: number;
  /** The system prompt alone was over the budget and was cut. */
  readonly systemPromptTruncated: boolean;
  /** The config revision the system prompt came from, or null (the agent's own). */
  readonly revision: number | null;
}

export interface ContextRequest {
  readonly store: SqlExecutor;
  readonly agentId: string;
  /** With a goal: its own documents too. */
  readonly goalId?: string | null;
  /** At most this many tokens in `system`. */
  readonly tokenBudget: number;
  /** Recalls the agent's memories; absent: the context has none. */
  readonly memories?: MemoryRecall;
  /** What memories are recalled for (default: the goal's text); the task asking, for accounting. */
  readonly query?: string;
  readonly taskId?: string | null;
}

/** Below this many tokens of room, a section is dropped rather than cut to a stub. */
export const MIN_TRUNCATED_TOKENS = 32;

const KIND_ORDER: readonly DocType[] = ['rule', 'skill', 'context_doc', 'reference'];
const HEADINGS: Record<DocType | 'memory', string> = {
  rule: 'Rules',
  skill: 'Skills',
  context_doc: 'Context',
  reference: 'References',
  memory: 'Memories',
};
const SEPARATOR = '\n\n';

interface Candidate {
  readonly kind: SectionKind;
  readonly title: string;
  readonly scope: 'agent' | 'goal';
  readonly documentId: string | null;
  readonly memoryId?: string;
  readonly priority: number | null;
  readonly text: string;
}

export async function assembleContext(request: ContextRequest): Promise<AssembledContext> {
  if (!Number.isInteger(request.tokenBudget) || request.tokenBudget < 1)
    throw new AstraError('ASTRA_VALIDATION_FAILED', 'tokenBudget: a positive integer', {
      details: { path: 'tokenBudget', reason: 'a positive integer' },
    });
  const agent = await readAgent(request.store, request.agentId);
  if (agent === null) throw new AstraError('ASTRA_NOT_FOUND', `no agent ${request.agentId}`);
  const prompt = systemPromptOf(agent.systemPrompt, await listRevisions(request.store, agent.id));
  const documents = await listDocuments(request.store, {
    agentId: agent.id,
    ...(request.goalId == null ? {} : { goalId: request.goalId }),
  });
  const ordered = orderDocuments(documents).map(documentCandidate);
  const beforeMemories = ordered.filter((c) => c.kind === 'rule' || c.kind === 'skill');
  const memories = await recalled(request, agent.orgId);
  const candidates: Candidate[] = [
    {
      kind: 'system_prompt',
      title: 'system prompt',
      scope: 'agent',
      documentId: null,
      priority: null,
      text: prompt.text,
    },
    ...beforeMemories,
    ...memories.map(memoryCandidate),
    ...ordered.slice(beforeMemories.length),
  ];
  return { ...cut(candidates, request.tokenBudget), revision: prompt.revision };
}

/** The system prompt by upstream's rule: the active revision, else the latest, else the agent's. */
function systemPromptOf(
  own: string | null,
  revisions: readonly {
    revision: number;
    active: boolean;
    payload: { system_prompt?: string | null | undefined };
  }[],
): { text: string; revision: number | null } {
  // listRevisions answers newest first.
  const chosen = revisions.find((r) => r.active) ?? revisions[0];
  if (chosen !== undefined && chosen.payload.system_prompt !== undefined)
    return { text: chosen.payload.system_prompt ?? '', revision: chosen.revision };
  return { text: own ?? '', revision: null };
}

function orderDocuments(documents: readonly DocumentRecord[]): DocumentRecord[] {
  const rank = (doc: DocumentRecord): number => KIND_ORDER.indexOf(doc.docType);
  return [...documents].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      a.priority - b.priority ||
      Number(a.goalId === null) - Number(b.goalId === null) ||
      a.createdAt.localeCompare(b.createdAt) ||
      a.id.localeCompare(b.id),
  );
}

function documentCandidate(doc: DocumentRecord): Candidate {
  const body = doc.content ?? (doc.uri === null ? '' : `See ${doc.uri}`);
  return {
    kind: doc.docType,
    title: doc.name,
    scope: doc.goalId === null ? 'agent' : 'goal',
    documentId: doc.id,
    priority: doc.priority,
    text: `## ${doc.name}\n${body}`,
  };
}

/** The memories recalled for the request's query, or the goal's text; none without a recall. */
async function recalled(request: ContextRequest, orgId: string): Promise<readonly ContextMemory[]> {
  if (request.memories === undefined) return [];
  const goalId = request.goalId ?? null;
  const query =
    request.query ?? (goalId === null ? undefined : (await readGoal(request.store, goalId))?.goalText);
  if (query === undefined || query.trim() === '') return [];
  return request.memories({
    orgId,
    agentId: request.agentId,
    goalId,
    taskId: request.taskId ?? null,
    query,
  });
}

/**
 * One remembered fact, written with where it came from so a model (and a person reading the
 * prompt) can weigh it: `- {content} (memory {id}; from goal …, task …, message …; {created_at})`.
 */
function memoryCandidate(memory: ContextMemory): Candidate {
  const sources = [
    memory.sourceGoalId === null ? null : `goal ${memory.sourceGoalId}`,
    memory.sourceTaskId === null ? null : `task ${memory.sourceTaskId}`,
    memory.sourceMessageId === null ? null : `message ${memory.sourceMessageId}`,
  ].filter((s): s is string => s !== null);
  const from = sources.length === 0 ? '' : `; from ${sources.join(', ')}`;
  return {
    kind: 'memory',
    title: `memory ${memory.id}`,
    scope: 'agent',
    documentId: null,
    memoryId: memory.id,
    priority: null,
    text: `- ${memory.content} (memory ${memory.id}${from}; ${memory.createdAt})`,
  };
}

/** A kind's heading, written before the first included section of that kind. */
const headingOf = (kind: SectionKind): string =>
  kind === 'system_prompt' ? '' : `# ${HEADINGS[kind]}${SEPARATOR}`;

function cut(candidates: readonly Candidate[], budget: number): Omit<AssembledContext, 'revision'> {
  const pieces: string[] = [];
  const sections: ContextSection[] = [];
  const headed = new Set<SectionKind>();
  let used = 0;
  let full = false;
  let systemPromptTruncated = false;
  for (const candidate of candidates) {
    const fullTokens = countTokens(candidate.text);
    const section = { ...candidate, fullTokens };
    const lead =
      (pieces.length === 0 ? '' : SEPARATOR) + (headed.has(candidate.kind) ? '' : headingOf(candidate.kind));
    const piece = lead + candidate.text;
    const cost = countTokens(piece);
    const room = budget - used;
    const isPrompt = candidate.kind === 'system_prompt';
    if (candidate.text === '' || (full && !isPrompt)) {
      sections.push({ ...strip(section), tokens: 0, included: false, truncated: false });
      continue;
    }
    if (cost <= room) {
      pieces.push(piece);
      headed.add(candidate.kind);
      used += cost;
      sections.push({ ...strip(section), tokens: fullTokens, included: true, truncated: false });
      continue;
    }
    const leadTokens = countTokens(lead);
    if (isPrompt || room - leadTokens >= MIN_TRUNCATED_TOKENS) {
      const text = truncateToTokens(candidate.text, room - leadTokens);
      pieces.push(lead + text);
      headed.add(candidate.kind);
      used += countTokens(lead + text);
      sections.push({ ...strip(section), tokens: countTokens(text), included: true, truncated: true });
      systemPromptTruncated ||= isPrompt;
      full = true;
      continue;
    }
    sections.push({ ...strip(section), tokens: 0, included: false, truncated: false });
  }
  return fitted(pieces, sections, budget, systemPromptTruncated);
}

const strip = ({ text: _text, ...section }: Candidate & { fullTokens: number }) => section;

/**
 * Token counts of pieces do not add up exactly to the count of their concatenation (BPE merges
 * across a boundary): the joined text is recounted, and the last piece shortened while it is over.
 */
function fitted(
  pieces: string[],
  sections: ContextSection[],
  budget: number,
  systemPromptTruncated: boolean,
): Omit<AssembledContext, 'revision'> {
  let system = pieces.join('');
  let tokens = countTokens(system);
  while (tokens > budget && pieces.length > 0) {
    // Pieces and included sections correspond one to one, in order.
    const index = sections.findLastIndex((s) => s.included);
    const section = sections[index] as ContextSection;
    const last = pieces.pop() as string;
    const keep = countTokens(last) - (tokens - budget);
    const shortened = keep > 0 ? truncateToTokens(last, keep) : '';
    if (shortened !== '') pieces.push(shortened);
    sections[index] =
      shortened === '' && section.kind !== 'system_prompt'
        ? { ...section, tokens: 0, included: false, truncated: false }
        : { ...section, tokens: Math.min(section.tokens, countTokens(shortened)), truncated: true };
    if (section.kind === 'system_prompt') systemPromptTruncated = true;
    system = pieces.join('');
    tokens = countTokens(system);
  }
  return { system, sections, tokens, tokenBudget: budget, systemPromptTruncated };
}
