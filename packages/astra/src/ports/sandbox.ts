/**
 * Sandbox port: runs one untrusted program with least privilege and reports what happened.
 *
 * Glossary
 * - driver: one way of isolating a program (`kind`): QuickJS compiled to WASM for JavaScript, WASI for
 *   .wasm modules, bubblewrap namespaces for processes, Docker where an engine answers.
 * - run: one `run(request)` call. Every run starts from nothing: a fresh interpreter, a fresh WASM
 *   instance or a fresh set of namespaces, a fresh scratch directory; nothing survives it.
 * - scratch: the run's only writable place (`/scratch` inside; created empty, removed after the run).
 * - files: read-only files placed for this run only, under `/run/astra/files/<path>` (QuickJS, which
 *   has no file system, sees them as the strings of `astra.files`). Secrets reach a program this way,
 *   never through the environment or a path shared between runs.
 * - workspace: (process drivers) a host directory the program works in, at `/workspace`, its working
 *   directory. It is a copy, never a live mount of the host directory: copied into the run's own
 *   directory before the program starts (regular files and directories only; links and devices are
 *   left out) and, when `writable`, the regular files the program changed, made or removed are
 *   applied back to the host directory after it ended — only when the run completed (any exit
 *   status), never after a limit, a deadline or a cancellation. Over `maxBytes` or `maxFiles`, in
 *   or out, the run ends `ASTRA_SANDBOX_WORKSPACE_LIMIT` and nothing is applied back.
 * - egress: the only way out. Process drivers get the host Unix socket `egress.socketPath` bound at
 *   `SANDBOX_EGRESS_SOCKET` inside an otherwise empty network namespace (no interface but loopback, no
 *   DNS, no proxy variables); QuickJS gets `globalThis.fetch` only when `egress.fetch` is granted.
 *   With no grant there is no network primitive at all.
 *
 * Rules every driver keeps (checked by test/sandbox/conformance.suite.ts and escape.suite.ts):
 * - `run` never throws for anything the program does or the sandbox suffers: it resolves a
 *   `SandboxOutcome`. It throws `ASTRA_SANDBOX_INVALID_REQUEST` only for a malformed request (a
 *   program of another kind than the driver runs, a limit that is not a positive integer, a file path
 *   that leaves its directory), before anything starts.
 * - The program sees only `request.env` plus the driver's fixed variables (`PATH`, `HOME=/scratch`,
 *   `ASTRA_SCRATCH`, `ASTRA_FILES`, and `ASTRA_EGRESS_SOCKET` when a socket is granted): never a
 *   variable of the host process.
 * - Limits are enforced, not advised: past `wallTimeMs` every process, thread or interpreter of the run
 *   is gone before `run` resolves (`ASTRA_SANDBOX_TIMEOUT`); past `outputBytes` on stdout or stderr
 *   the driver stops reading and stops the program (`ASTRA_SANDBOX_OUTPUT_LIMIT`, output kept up to
 *   the cap); memory, CPU time and process count end in their own codes where the driver enforces
 *   them (`available()` says which, and how).
 * - When `run` resolves, nothing of the run is left: no process, no thread, no scratch directory.
 * - An aborted `signal` stops the run like a deadline and resolves `ASTRA_SANDBOX_CANCELLED`.
 * - Concurrent runs cannot see each other: not their files, scratch, memory or processes.
 */
export type SandboxKind = 'quickjs' | 'wasi' | 'bubblewrap' | 'docker';

/** The path, inside process sandboxes, where the run's egress socket is bound. */
export const SANDBOX_EGRESS_SOCKET = '/run/astra/egress.sock';
/** Where the run's read-only files are placed inside process and WASI sandboxes. */
export const SANDBOX_FILES_DIR = '/run/astra/files';
/** The run's only writable directory inside process and WASI sandboxes. */
export const SANDBOX_SCRATCH_DIR = '/scratch';
/** Where a process sandbox sees its workspace copy (its working directory when one is given). */
export const SANDBOX_WORKSPACE_DIR = '/workspace';

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * The program a driver runs.
 * - `javascript` (QuickJS): an ES module whose default export is a function called with `input`; its
 *   return value (awaited when a promise) must be JSON-serializable and becomes `value`.
 * - `wasm` (WASI preview 1): the module's `_start`; `args[0]` is the program name.
 * - `process` (bubblewrap, Docker): `argv[0]` is an absolute path inside the sandbox (`/usr/bin/…`).
 */
export type SandboxProgram =
  | { readonly kind: 'javascript'; readonly source: string; readonly input?: JsonValue }
  | {
      readonly kind: 'wasm';
      readonly module: Uint8Array;
      readonly args?: readonly string[];
      readonly stdin?: string | Uint8Array;
    }
  | { readonly kind: 'process'; readonly argv: readonly string[]; readonly stdin?: string | Uint8Array };

export interface SandboxLimits {
  /** Wall-clock time from start to the last byte of output. */
  readonly wallTimeMs: number;
  /** CPU time the program may burn (QuickJS: time inside the interpreter; processes: RLIMIT_CPU). */
  readonly cpuTimeMs: number;
  /** Memory the program may hold (interpreter heap, WASM memory, or the cgroup's memory). */
  readonly memoryBytes: number;
  /** Bytes kept and allowed on each of stdout and stderr (QuickJS: console output and `value`). */
  readonly outputBytes: number;
  /** Processes (and threads) alive at once inside the sandbox, the first one included. */
  readonly processes: number;
}

export interface SandboxFile {
  /** Relative path under `SANDBOX_FILES_DIR`: segments of `[A-Za-z0-9._-]`, no `.` or `..` segment. */
  readonly path: string;
  readonly content: string | Uint8Array;
}

export interface SandboxFetchRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface SandboxFetchResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface SandboxEgress {
  /** Process drivers: a Unix socket made for this run alone, bound at `SANDBOX_EGRESS_SOCKET`. */
  readonly socketPath?: string;
  /**
   * QuickJS: the host side of `globalThis.fetch`. A rejection reaches the program as a TypeError
   * carrying the rejection's message (so a refusal tells the program which host was refused).
   */
  readonly fetch?: (request: SandboxFetchRequest, signal: AbortSignal) => Promise<SandboxFetchResponse>;
  /**
   * How many requests the egress side refused during this run so far. When the program fails or
   * exits non-zero after a refusal, the outcome is `ASTRA_SANDBOX_EGRESS_REFUSED`.
   */
  readonly refusals?: () => number;
}

export interface SandboxWorkspace {
  /** The host directory (absolute); only regular files and directories in it are copied. */
  readonly dir: string;
  /** Apply what the program changed back to `dir` after a completed run. */
  readonly writable: boolean;
  /** Bytes of regular files copied in, and of changed files copied back; default 256 MiB. */
  readonly maxBytes?: number;
  /** Files and directories copied in, and changed entries copied back; default 10,000. */
  readonly maxFiles?: number;
}

/** What a completed run with a writable workspace applied back (workspace-relative paths). */
export interface SandboxWorkspaceChanges {
  readonly written: readonly string[];
  readonly removed: readonly string[];
}

export interface SandboxRequest {
  readonly program: SandboxProgram;
  /** Missing limits take the driver's defaults (`SANDBOX_LIMIT_DEFAULTS` unless configured). */
  readonly limits?: Partial<SandboxLimits>;
  readonly env?: Readonly<Record<string, string>>;
  readonly files?: readonly SandboxFile[];
  readonly egress?: SandboxEgress;
  /** Process drivers only: see `workspace` above. */
  readonly workspace?: SandboxWorkspace;
}

export type SandboxFailureCode =
  | 'ASTRA_SANDBOX_TIMEOUT'
  | 'ASTRA_SANDBOX_CPU_LIMIT'
  | 'ASTRA_SANDBOX_MEMORY_LIMIT'
  | 'ASTRA_SANDBOX_OUTPUT_LIMIT'
  | 'ASTRA_SANDBOX_PROCESS_LIMIT'
  | 'ASTRA_SANDBOX_WORKSPACE_LIMIT'
  | 'ASTRA_SANDBOX_EGRESS_REFUSED'
  | 'ASTRA_SANDBOX_PROGRAM_ERROR'
  | 'ASTRA_SANDBOX_CANCELLED'
  | 'ASTRA_SANDBOX_UNAVAILABLE'
  | 'ASTRA_SANDBOX_FAILED';

/** What a run produced, whichever way it ended. */
export interface SandboxOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  readonly durationMs: number;
}

export interface SandboxSuccess extends SandboxOutput {
  readonly ok: true;
  /** The program's exit status (0 for a JavaScript program that returned). */
  readonly exitCode: number;
  /** JavaScript programs: the default export's JSON result; absent for other programs. */
  readonly value?: JsonValue;
  /** With a writable workspace: what was applied back to it. */
  readonly workspace?: SandboxWorkspaceChanges;
}

export interface SandboxFailure extends SandboxOutput {
  readonly ok: false;
  readonly code: SandboxFailureCode;
  /** One or two sentences a model can act on: what limit was hit or what the program did. */
  readonly message: string;
  readonly exitCode?: number;
  readonly signal?: string;
}

export type SandboxOutcome = SandboxSuccess | SandboxFailure;

/** Which limits a driver enforces on this host, with a line on how for each that needs saying. */
export interface SandboxEnforcement {
  readonly cpuTime: boolean;
  readonly memory: boolean;
  readonly processes: boolean;
  readonly notes: readonly string[];
}

export type SandboxAvailability =
  | { readonly ok: true; readonly enforcement: SandboxEnforcement }
  | { readonly ok: false; readonly reason: string };

export interface SandboxDriver {
  readonly kind: SandboxKind;
  /** The program kind this driver runs. */
  readonly programKind: SandboxProgram['kind'];
  /** Whether the driver can run here; when not, one line saying why (suites print it when they skip). */
  available(): Promise<SandboxAvailability>;
  run(request: SandboxRequest, signal?: AbortSignal): Promise<SandboxOutcome>;
  /** Stops warm pools and waits for runs in flight to end; later runs resolve ASTRA_SANDBOX_UNAVAILABLE. */
  close(): Promise<void>;
}
