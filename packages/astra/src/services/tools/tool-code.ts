import { ARTIFACT_URI_PREFIX } from '../../kernel/index.js';

/**
 * Where a code tool's code is in its manifest (code-tools.ts runs it): `metadata.code` for
 * `sandbox: quickjs`, `metadata.module` for `sandbox: wasi`. Checked when a version is registered.
 */
export type CodeKind = 'quickjs' | 'wasi';

/** The parts of a manifest that say where its code is. */
interface CodeFields {
  readonly sandbox: string;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** The largest `metadata.code` a manifest may carry. */
export const MAX_CODE_BYTES = 256 * 1024;

/** Where a manifest's code is, when it has any: its kind decides the runner. */
export function codeKindOf(manifest: CodeFields): CodeKind | null {
  if (manifest.sandbox === 'quickjs' && typeof manifest.metadata.code === 'string') return 'quickjs';
  if (manifest.sandbox === 'wasi' && typeof manifest.metadata.module === 'string') return 'wasi';
  return null;
}

/** What is wrong with a manifest's code fields (a path under `body.metadata` and why), or null. */
export function codeProblem(manifest: CodeFields): { path: string; reason: string } | null {
  const { code, module } = manifest.metadata;
  if (code !== undefined) {
    if (manifest.sandbox !== 'quickjs') return { path: 'code', reason: 'is for tools with sandbox quickjs' };
    if (typeof code !== 'string' || code.length === 0)
      return { path: 'code', reason: 'is the source of an ES module' };
    if (Buffer.byteLength(code) > MAX_CODE_BYTES)
      return { path: 'code', reason: `is at most ${MAX_CODE_BYTES} bytes` };
  }
  if (module !== undefined) {
    if (manifest.sandbox !== 'wasi') return { path: 'module', reason: 'is for tools with sandbox wasi' };
    if (typeof module !== 'string' || !/^astra:\/\/artifacts\/[0-9a-f]{64}$/.test(module))
      return {
        path: 'module',
        reason: `is the URI of a stored .wasm module, ${ARTIFACT_URI_PREFIX}<sha256>`,
      };
  }
  return null;
}
