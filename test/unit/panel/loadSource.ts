/**
 * Loads a media/ or extension/panel/ module for a unit test. `build:tests` transpiles only
 * server/ and test/, so these modules are bundled here on demand with esbuild (a dev
 * dependency) into out/panel-under-test/ and required. The tests import the module's types
 * with `import type`, so they stay checked by `tsc -b`.
 */
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { repoRoot } from '../../support/paths';

export function loadSource<T>(relativePath: string): T {
  const outfile = path.join(
    repoRoot,
    'out',
    'panel-under-test',
    `${relativePath.replace(/[\\/]/g, '_').replace(/\.ts$/, '')}.js`,
  );
  buildSync({
    entryPoints: [path.join(repoRoot, relativePath)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // The modules under test must not need VS Code; if one imports it, requiring fails loudly.
    external: ['vscode'],
    outfile,
    logLevel: 'silent',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(outfile) as T;
}
