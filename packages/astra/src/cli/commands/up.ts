import type { Command } from 'commander';
import { resolveAdminToken } from '../../app/admin-token.js';
import { ensureDataDir } from '../../app/data-dir/ensure-data-dir.js';
import { ROLES, type Role } from '../../app/roles.js';
import { loadConfig } from '../../config/index.js';
import { AstraError } from '../../errors/index.js';
import { createLogger } from '../../log/logger.js';
import { RecentLines } from '../../log/recent-lines.js';
import { systemClock } from '../../time/clock.js';
import { addSettingOptions, configInput, SERVER_SETTINGS } from '../options.js';
import { useOwnerOnlyUmask } from '../owner-only-umask.js';
import type { CliContext } from './context.js';

/**
 * `astra up`: every role in one process, in the foreground until SIGINT/SIGTERM. Embedded by
 * default (PGlite under --data-dir, in-process bus and cache); real backends with --postgres /
 * --redis / --memcached or their environment variables.
 * `astra serve <roles…>`: only the named roles, so several processes share one Postgres + Redis.
 */
export function registerUp(program: Command, context: CliContext): void {
  const up = program
    .command('up')
    .description(
      'start Astra with every role in this process (embedded unless --postgres/--redis are given)',
    );
  addSettingOptions(up, SERVER_SETTINGS).action((options: Record<string, unknown>) =>
    runNode(context, options, [...ROLES], { all: true }),
  );
  const serve = program
    .command('serve')
    .argument('<roles...>', `roles to run: ${ROLES.join(', ')}`)
    .description(
      'run only some roles in this process; needs --postgres and --redis shared with the other processes',
    );
  addSettingOptions(serve, SERVER_SETTINGS).action((roles: string[], options: Record<string, unknown>) =>
    runNode(context, options, parseRoles(roles), { all: false }),
  );
}

function parseRoles(names: readonly string[]): Role[] {
  const unknown = names.filter((name) => !(ROLES as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new AstraError(
      'ASTRA_CONFIG_INVALID',
      `unknown role ${unknown.join(', ')} (roles: ${ROLES.join(', ')})`,
    );
  return [...new Set(names)] as Role[];
}

async function runNode(
  context: CliContext,
  options: Record<string, unknown>,
  asked: Role[],
  how: { readonly all: boolean },
): Promise<void> {
  const { config, secretEnv } = loadConfig(configInput(options, context.env));
  // Loaded here, not at the top: every other command, `astra --version` and a refused
  // configuration are done without them.
  const [{ browserPresent }, { describeLlmProviders, openLlmProviders }, { startNode }] = await Promise.all([
    import('../../app/browser-runtime.js'),
    import('../../app/llm-providers.js'),
    import('../../app/node.js'),
  ]);
  const split = !how.all && asked.length < ROLES.length;
  // `astra up` drives a browser only where there is one; `astra serve browser` insists on it.
  const roles = how.all && !browserPresent(config) ? asked.filter((role) => role !== 'browser') : asked;
  if (how.all && roles.length < asked.length)
    context.output.out(`astra: no browser at ${config.browserExecutable}: the browser role is off`);
  if (!how.all && roles.includes('browser') && !browserPresent(config))
    throw new AstraError(
      'ASTRA_CONFIG_INVALID',
      `the browser role needs Chromium at ${config.browserExecutable} (apt-get install chromium, or set browserExecutable)`,
      { details: { setting: 'browserExecutable' } },
    );
  if (split && (config.postgresUrl === undefined || config.redisUrl === undefined))
    throw new AstraError(
      'ASTRA_CONFIG_INVALID',
      'astra serve shares work with other processes: give --postgres and --redis (embedded mode is one process: use astra up)',
    );
  const recentLogs = new RecentLines();
  const logger = createLogger({
    level: config.logLevel,
    destination: context.logDestination,
    recent: recentLogs,
  });
  const mode = config.postgresUrl === undefined ? 'embedded' : 'single-node';
  context.output.out(`astra: starting ${roles.join(', ')} (${mode}, data dir ${config.dataDir})`);
  const llm = await openLlmProviders(config, { logger });
  for (const line of describeLlmProviders(llm.found)) context.output.out(line);
  useOwnerOnlyUmask();
  let adminToken: string | undefined;
  if (roles.includes('gateway')) {
    const resolved = await resolveAdminToken(
      await ensureDataDir(config.dataDir),
      config.adminToken?.reveal(),
    );
    adminToken = resolved.token;
    if (resolved.created)
      context.output.out(
        `astra: generated the admin token in ${resolved.file} (mode 0600; the CLI reads it from there)`,
      );
  }
  // Listen before starting: a signal that arrives while the node starts stops it once it is up.
  const stopRequested = context.waitForStop();
  const node = await startNode(config, {
    clock: systemClock,
    logger,
    recentLogs,
    roles,
    secretEnv,
    llmProviders: llm,
    ...(context.toolRunners === undefined ? {} : { toolRunners: context.toolRunners }),
    ...(adminToken === undefined ? {} : { adminToken }),
    onMigration: (name) => context.output.out(`astra: applied migration ${name}`),
    onAdminCreated: (email, passwordFile) =>
      context.output.out(
        `astra: created the super-admin ${email}; its password is in ${passwordFile} (mode 0600: change it after logging in, then delete the file)`,
      ),
  });
  const where = node.url === null ? '' : ` at ${node.url}  health: ${node.url}/health`;
  context.output.out(`astra: ready (${node.mode})${where}`);
  const signal = await stopRequested;
  context.output.out(`astra: ${signal} received, shutting down`);
  await node.stop();
  await Promise.all(llm.providers.map((provider) => provider.close()));
  context.output.out('astra: stopped');
}
