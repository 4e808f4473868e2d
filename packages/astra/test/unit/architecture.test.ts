import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkImports } from '../../../../tools/check-imports.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('layer rules', () => {
  it('hold for the whole source tree', () => {
    expect(checkImports(repoRoot)).toEqual([]);
  });

  describe('catch violations in a planted tree', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'astra-layers-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const write = (rel: string, text: string): void => {
      const file = path.join(root, rel);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
    };
    write(
      'packages/astra/src/kernel/a.ts',
      "import { b } from './b.js';\nimport { s } from '../services/x/s.js';\nexport const a = b + s;\n",
    );
    write('packages/astra/src/kernel/b.ts', "import { a } from './a.js';\nexport const b = a;\n");
    write(
      'packages/astra/src/services/x/s.ts',
      "import pg from 'pg';\nexport const s = process.env.X ? pg : 1;\n",
    );
    write('packages/sdk/src/index.ts', "export { a } from '@astra/platform';\n");
    write('packages/astra/src/kernel/index.ts', "export { read } from './tasks/sql/read.js';\n");
    write('packages/astra/src/kernel/tasks/sql/read.ts', 'export const read = 1;\n');
    write('packages/astra/src/services/y/index.ts', "export { inside } from './inside.js';\n");
    write('packages/astra/src/services/y/inside.ts', 'export const inside = 1;\n');
    write(
      'packages/astra/src/services/z/uses.ts',
      "import { read } from '../../kernel/tasks/sql/read.js';\nimport { inside } from '../y/inside.js';\n" +
        "import { read as r } from '../../kernel/index.js';\nimport { inside as i } from '../y/index.js';\n" +
        'export const uses = read + inside + r + i;\n',
    );
    write(
      'packages/astra/src/app/root.ts',
      "import { read } from '../kernel/tasks/sql/read.js';\nimport { inside } from '../services/y/inside.js';\nexport const root = read + inside;\n",
    );
    write(
      'packages/astra/src/services/y/routes-x.ts',
      'export const list = (db: { query(sql: string): unknown }) => db.query(`SELECT 1`);\n',
    );
    write('packages/astra/src/services/y/routes-w.ts', "export { list } from './routes-x.js';\n");
    write('packages/astra/src/services/y/helper.ts', "export { list } from './routes-x.js';\n");
    write('packages/astra/src/services/z/index.ts', "export { list } from '../y/routes-x.js';\n");
    write('packages/astra/src/app/wiring.ts', "export { list } from '../services/y/routes-x.js';\n");
    const violations = checkImports(root);

    it('reports an import cycle', () => {
      expect(
        violations.some(
          (v) => v.startsWith('import cycle:') && v.includes('kernel/a.ts') && v.includes('kernel/b.ts'),
        ),
      ).toBe(true);
    });
    it('reports a kernel → service import', () => {
      expect(violations).toContain(
        'packages/astra/src/kernel/a.ts: kernel may not import services (packages/astra/src/services/x/s.ts)',
      );
    });
    it('reports a driver imported outside adapters and process.env outside config', () => {
      expect(violations).toContain('packages/astra/src/services/x/s.ts: driver pg imported outside adapters');
      expect(violations).toContain(
        'packages/astra/src/services/x/s.ts: reads process.env outside config loading',
      );
    });
    it('reports imports of kernel internals from outside the kernel, not of kernel/index.ts', () => {
      expect(violations).toContain(
        'packages/astra/src/services/z/uses.ts: imports kernel internals (packages/astra/src/kernel/tasks/sql/read.ts); use kernel/index.ts',
      );
      expect(violations).toContain(
        'packages/astra/src/app/root.ts: imports kernel internals (packages/astra/src/kernel/tasks/sql/read.ts); use kernel/index.ts',
      );
      expect(violations.filter((v) => v.includes('kernel/index.ts)'))).toEqual([]);
    });
    it("reports a service importing another service's internals, not its index.ts (the composition root may)", () => {
      expect(violations).toContain(
        'packages/astra/src/services/z/uses.ts: imports the internals of service y (packages/astra/src/services/y/inside.ts); use services/y/index.ts',
      );
      expect(violations.filter((v) => v.includes('services/y/index.ts)'))).toEqual([]);
      expect(
        violations.filter((v) => v.startsWith('packages/astra/src/app/root.ts: imports the internals')),
      ).toEqual([]);
    });
    it('reports SQL in a route file', () => {
      expect(violations).toContain(
        "packages/astra/src/services/y/routes-x.ts: SQL in a route file (move it into the service's store)",
      );
    });
    it('reports a route file imported by anything but the composition root and its own route files', () => {
      const routeImports = violations.filter((v) => v.includes(': imports the route file'));
      const message = (rel: string): string =>
        `${rel}: imports the route file packages/astra/src/services/y/routes-x.ts; only the composition root (src/app/) registers a service's routes`;
      expect(routeImports).toEqual([
        message('packages/astra/src/services/y/helper.ts'),
        message('packages/astra/src/services/z/index.ts'),
      ]);
    });
    it('reports the SDK importing the platform', () => {
      expect(violations).toContain('packages/sdk/src/index.ts: the SDK may not import @astra/platform');
    });
  });
});
