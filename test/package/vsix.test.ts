/**
 * Opens every packaged .vsix (test-artifacts/mcpo-workbench-<target>.vsix, from `npm run package`
 * or `npm run package:all`) and checks what a user of that platform would install:
 * - the manifest's target platform, and a size within the limit;
 * - every native binary inside is of the target's format and architecture, and nothing of another
 *   platform (other llama.cpp builds, other onnxruntime binaries, CUDA/Vulkan) is inside;
 * - every package the bundles load at run time is inside, with the file Node resolves it to;
 * - for the package of this machine's platform: unpacked, its engine really runs (kuromoji,
 *   transformers.js + onnxruntime, llama.cpp), through the packaged CLI.
 *
 *   npm run package:all && MCPO_VSIX_ALL=1 npm run test:package
 *
 * A missing .vsix is skipped, unless MCPO_VSIX_ALL=1 (CI) makes it a failure.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { buildTinyLlamaGguf } from '../../server/llm/demoGguf';
import { repoRoot } from '../support/paths';
import { buildTinyBertFixture } from '../support/tinyBertFixture';
import { NATIVE_FILE_NAME, readNativeBinary } from './nativeBinary';
import { VSIX_TARGETS, vsixFileName, type VsixTarget } from './targets';
import { readZip, type ZipEntry } from './zip';

const MAX_BYTES = 50 * 1024 * 1024;
const requireAll = process.env.MCPO_VSIX_ALL === '1';

for (const target of VSIX_TARGETS) {
  const file = path.join(repoRoot, 'test-artifacts', vsixFileName(target.name));
  const skip =
    !requireAll && !fs.existsSync(file) ? `${path.relative(repoRoot, file)} not built` : false;
  test(`${target.name}: manifest, size and native parts`, { skip }, () => {
    assert.ok(fs.existsSync(file), `${file} is missing (npm run package:all)`);
    const size = fs.statSync(file).size;
    assert.ok(size <= MAX_BYTES, `${size} bytes is over the ${MAX_BYTES}-byte limit`);
    const entries = readZip(file);
    const manifest = entry(entries, 'extension.vsixmanifest').read().toString('utf8');
    assert.match(manifest, new RegExp(`TargetPlatform="${target.name}"`));
    const problems = foreignParts(entries, target);
    assert.deepEqual(problems, [], problems.join('\n'));
    // The checks above pass vacuously on a package without native parts: it must have them.
    const names = entries.map((e) => e.name);
    // Nothing that never runs (K5 of the s22 try: 5,651 files, 1,742 of them .d.ts): no type
    // declarations, no openai package (dist/openai.js bundles it), no transformers.js sources.
    const neverRun = names.filter(
      (n) =>
        /\.d\.[cm]?ts$/.test(n) ||
        n.startsWith('extension/node_modules/openai/') ||
        n.startsWith('extension/node_modules/@huggingface/transformers/src/'),
    );
    assert.deepEqual(neverRun.slice(0, 10), [], `${neverRun.length} files that never run`);
    assert.ok(names.includes('extension/dist/openai.js'), 'dist/openai.js is not in the package');
    assert.ok(
      names.some((n) => n.endsWith('/llama-addon.node')),
      'no llama.cpp addon in the package',
    );
    if (target.onnxruntimeDir) {
      assert.ok(
        names.some((n) => n.endsWith('/onnxruntime_binding.node')),
        'no onnxruntime binding in the package',
      );
    } else {
      // No onnxruntime build for this target: loading it says why, instead of a missing file.
      const stub = entry(entries, 'extension/node_modules/onnxruntime-node/index.js');
      assert.match(stub.read().toString('utf8'), new RegExp(`has no ${target.name} build`));
    }
  });

  test(`${target.name}: every package the bundles load is inside`, { skip }, () => {
    const entries = readZip(file);
    const missing = missingRuntimeFiles(entries);
    assert.deepEqual(missing, [], missing.join('\n'));
  });

  const here = target.platform === process.platform && target.arch === process.arch;
  test(
    `${target.name}: the unpacked package's engine runs`,
    { skip: skip || (here ? false : `not this machine's platform`), timeout: 300_000 },
    (t) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-vsix-run-'));
      t.after(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
      for (const e of readZip(file)) {
        if (e.name.endsWith('/')) continue;
        const out = path.join(dir, e.name);
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(out, e.read(), { mode: 0o755 });
      }
      const ext = path.join(dir, 'extension');
      const node = (args: string[], cwd = ext): string => {
        const res = spawnSync(process.execPath, args, {
          cwd,
          encoding: 'utf8',
          timeout: 240_000,
          env: { ...process.env, MCPO_MODEL_CACHE: path.join(dir, 'models') },
        });
        const output = `${res.stdout}${res.stderr}`;
        assert.equal(res.status, 0, `node ${args.join(' ')} failed:\n${output.slice(-4000)}`);
        return output;
      };
      // Each package the bundles load, loaded from dist/ as the bundles load it.
      node(
        [
          '-e',
          `(async () => {
            require('kuromoji'); require('./openai.js'); require('vscode-languageserver/node');
            await import('@huggingface/transformers'); await import('node-llama-cpp');
          })().catch((e) => { console.error(e); process.exit(1); });`,
        ],
        path.join(ext, 'dist'),
      );
      const bert = buildTinyBertFixture(path.join(dir, 'tiny-bert'));
      const gguf = buildTinyLlamaGguf(path.join(dir, 'tiny.gguf'));
      const sample = path.join(ext, 'server', 'dataset', 'sample');
      // Scoring runs the Japanese BLEU (kuromoji) and the sent-transformer metric (transformers.js
      // + onnxruntime) on the bundled sample.
      const scores = node([
        'dist/cli.js',
        'score',
        '--data',
        path.join(sample, 'shopbench-dev.jsonl'),
        '--predictions',
        path.join(sample, 'shopbench-dev.baseline-predictions.jsonl'),
        '--embed-model',
        bert,
        '--strict',
      ]);
      assert.match(scores, /^task1\s+generation\s+sent-transformer\s+\S+\s+\d+\s+\d\.\d{4}$/m);
      assert.match(scores, /^overall: \d\.\d{4}$/m);
      // A run on the local llama.cpp backend (the project's own tiny GGUF), three questions.
      const rows = fs
        .readFileSync(path.join(sample, 'shopbench-dev.jsonl'), 'utf8')
        .split('\n')
        .slice(0, 3);
      const data = path.join(dir, 'three.jsonl');
      fs.writeFileSync(data, `${rows.join('\n')}\n`);
      const runs = path.join(dir, 'runs');
      node([
        'dist/cli.js',
        'run',
        '--data',
        data,
        '--llm-url',
        'local',
        '--llm-model',
        gguf,
        '--out',
        runs,
        '--scoring-embed-model',
        bert,
        '--cache',
        path.join(dir, 'cache'),
      ]);
      const [run] = fs.readdirSync(runs);
      const records = fs
        .readFileSync(path.join(runs, run, 'records.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { index: number; status: string; error?: unknown });
      assert.deepEqual(
        // Records are written as questions finish, in any order.
        records
          .map((r) => [r.index, r.status, r.error])
          .sort((a, b) => Number(a[0]) - Number(b[0])),
        [
          [0, 'ok', undefined],
          [1, 'ok', undefined],
          [2, 'ok', undefined],
        ],
      );
    },
  );
}

function entry(entries: ZipEntry[], name: string): ZipEntry {
  const found = entries.find((e) => e.name === name);
  assert.ok(found, `${name} is not in the package`);
  return found;
}

/** Everything in the package that belongs to another platform or to no runtime at all. */
export function foreignParts(entries: ZipEntry[], target: VsixTarget): string[] {
  const problems: string[] = [];
  for (const e of entries) {
    const llama = /node_modules\/(@node-llama-cpp\/[^/]+)\//.exec(e.name);
    if (llama && !target.llamaPackages.includes(llama[1]))
      problems.push(`${e.name}: another platform's llama.cpp build`);
    const onnx = /onnxruntime-node\/bin\/napi-v\d+\/([^/]+\/[^/]+)\//.exec(e.name);
    if (onnx && onnx[1] !== target.onnxruntimeDir)
      problems.push(`${e.name}: another platform's onnxruntime`);
    if (/node_modules\/(typescript|@types|@img)\//.test(e.name))
      problems.push(`${e.name}: never runs in the extension`);
    const nativeName = NATIVE_FILE_NAME.test(e.name);
    // Headers are in the first bytes; only files that can be native are inflated.
    if (!nativeName && e.size < 64) continue;
    const binary = readNativeBinary(nativeName || mayBeNative(e) ? e.read() : Buffer.alloc(0));
    if (!binary) {
      if (nativeName) problems.push(`${e.name}: named like a native binary but is not one`);
      continue;
    }
    if (/cuda|vulkan/i.test(e.name)) problems.push(`${e.name}: a GPU build (opt-in only)`);
    if (binary.format !== target.format || binary.arches.some((a) => a !== target.arch))
      problems.push(`${e.name}: ${binary.format} ${binary.arches.join('+')}, not ${target.name}`);
  }
  return problems;
}

/** Files without a native name are inflated only when small: executables have no extension. */
function mayBeNative(e: ZipEntry): boolean {
  return !/\.(js|cjs|mjs|json|ts|txt|md|map|gz|dat|css|html|svg|png|jsonl|wasm)$/i.test(e.name);
}

/**
 * The bare module names dist/main.js and dist/cli.js require or import (node built-ins aside),
 * each resolved inside the package as Node resolves it (package.json `exports` with the node,
 * import/require and default conditions, else `main`, else index.js).
 */
function missingRuntimeFiles(entries: ZipEntry[]): string[] {
  const names = new Set(entries.map((e) => e.name));
  const missing: string[] = [];
  let checked = 0;
  // Every bundle the engine runs: the language server, the CLI, workers (not the extension's
  // own bundle, which loads only `vscode`).
  const bundles = entries
    .map((e) => e.name)
    .filter((n) => /^extension\/dist\/[^/]+\.js$/.test(n) && n !== 'extension/dist/extension.js');
  assert.ok(bundles.includes('extension/dist/main.js'), 'dist/main.js is not in the package');
  for (const bundle of bundles) {
    const code = entry(entries, bundle).read().toString('utf8');
    const specifiers = new Map<string, 'require' | 'import'>();
    for (const m of code.matchAll(/\b(require|import)\("([^".][^"]*)"\)/g)) {
      const spec = m[2];
      if (!isBuiltin(spec)) specifiers.set(spec, m[1] as 'require' | 'import');
    }
    checked += specifiers.size;
    for (const [spec, kind] of specifiers) {
      const file = resolveInPackage(names, entries, spec, kind);
      if (typeof file !== 'string') missing.push(`${bundle}: ${spec}: ${file.problem}`);
    }
    // Files the bundle loads beside itself (dist/openai.js, the vendored SDK).
    for (const m of code.matchAll(/\brequire\("(\.\/[^"]+)"\)/g)) {
      const file = path.posix.join(path.posix.dirname(bundle), m[1]);
      if (!names.has(file)) missing.push(`${bundle}: ${m[1]}: ${file} is not in the package`);
    }
  }
  assert.ok(checked > 0, 'the bundles load no package: the check would be vacuous');
  return missing;
}

function resolveInPackage(
  names: Set<string>,
  entries: ZipEntry[],
  spec: string,
  kind: 'require' | 'import',
): string | { problem: string } {
  const parts = spec.split('/');
  const pkgName = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const subpath = `.${spec.slice(pkgName.length)}`;
  const root = `extension/node_modules/${pkgName}`;
  if (!names.has(`${root}/package.json`)) return { problem: `${root}/package.json is missing` };
  const manifest = JSON.parse(entry(entries, `${root}/package.json`).read().toString('utf8')) as {
    main?: string;
    exports?: unknown;
  };
  let target: string | undefined;
  if (manifest.exports !== undefined) {
    const exp = manifest.exports;
    const map =
      typeof exp === 'object' && exp !== null && Object.keys(exp).some((k) => k.startsWith('.'))
        ? (exp as Record<string, unknown>)
        : { '.': exp };
    target = pickCondition(map[subpath], ['node', kind, 'default']);
    if (!target) return { problem: `exports has no ${subpath} for node/${kind}` };
  } else if (subpath === '.') {
    target = manifest.main ?? 'index.js';
  } else {
    target = subpath;
  }
  const file = path.posix.normalize(`${root}/${target}`);
  const candidates = [file, `${file}.js`, `${file}/index.js`];
  const found = candidates.find((c) => names.has(c));
  return found ?? { problem: `${file} (what Node loads) is missing` };
}

/** Node's conditional exports: the first key (in object order) whose condition applies. */
function pickCondition(value: unknown, conditions: string[]): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const v of value) {
      const picked = pickCondition(v, conditions);
      if (picked) return picked;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (conditions.includes(key)) return pickCondition(v, conditions);
    }
  }
  return undefined;
}
