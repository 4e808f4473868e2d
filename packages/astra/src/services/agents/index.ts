/**
 * The agents service's public surface: agent, document and revision stores, the documents a goal
 * brings, goal admission, the agents' actors and the per-minute rate windows.
 * Other services import this file only (tools/check-imports.mjs).
 */
export { ADMITS_UNCOUNTED, admissionFor, tokensUsedToday } from './admission.js';
export { AdmissionGate, type AdmissionGateOptions, DEFAULT_ADMISSION_GATE } from './admission-gate.js';
export type { AgentActors } from './agent-actors.js';
export {
  type AgentPatch,
  type AgentProfile,
  type AgentRecord,
  agentRow,
  DEFAULT_ORG_ID,
  deleteAgent,
  insertAgent,
  listAgents,
  readAgent,
  readProfile,
  updateAgent,
} from './agent-store.js';
export { defaultOrgOf, orgFor } from './default-org.js';
export {
  DOC_TYPES,
  type DocType,
  type DocumentRecord,
  deleteDocument,
  insertDocument,
  listDocuments,
} from './document-store.js';
export { GoalDocument, insertGoalDocuments } from './goal-documents.js';
export { countCall } from './rate-windows.js';
export { activateRevision, createRevision, listRevisions, type RevisionRecord } from './revision-store.js';
