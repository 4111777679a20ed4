/**
 * Builds one .vsix per VS Code target on this (Linux) machine, each with only its own native
 * parts:
 *
 *   npm run package       # linux-x64 → test-artifacts/mcpo-workbench-linux-x64.vsix
 *   npm run package:all   # every target in ./targets.ts
 *   node out/test/package/packageVsix.js [--all | TARGET...]   (after npm run vscode:prepublish
 *                                                                and npm run build:tests)
 *
 * How: vsce packages a staging folder, never the working tree. The staging folder gets
 * - the project's files that .vscodeignore keeps (asked of `vsce ls`, so .vscodeignore stays the
 *   one rule for project files);
 * - the production dependencies (`npm ls --omit=dev`), minus what never runs in the extension
 *   (typescript, @types, onnxruntime-web, sharp's libvips, node-llama-cpp's source bundle) and
 *   minus every platform-specific part;
 * - then the target's own native parts: node-llama-cpp's prebuilt package for the target, taken
 *   from node_modules when npm installed it for this machine, else fetched by name from the npm
 *   registry with `npm pack` (cached in node_modules/.cache/mcpo-vsix); and onnxruntime-node's
 *   binaries for the target only.
 * vsce then runs `npm ls` in the staging folder, so the staged tree must stay a valid one: the
 * three packages left out whose names other packages require are replaced by small stubs with
 * the same name and version (see STUBS).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';
import { VSIX_TARGETS, vsixFileName, vsixTarget, type VsixTarget } from './targets';

const OUT_DIR = path.join(repoRoot, 'test-artifacts');
const PACK_CACHE = path.join(repoRoot, 'node_modules', '.cache', 'mcpo-vsix');
const VSCE = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');

/** Packages that never run in the extension on any target (node_modules-relative). */
const NEVER_PACKAGED = [
  // Compile-time only (typescript is an optional peer of node-llama-cpp's CLI).
  'typescript',
  '@types/',
  // sharp's native parts (libvips, 17 MB): see the sharp stub.
  '@img/',
  // Only ever loaded for a local file copy inside node-llama-cpp's downloader, in a try/catch
  // that falls back to a plain copy.
  '@reflink/',
  // Every platform's llama.cpp build: the target's own is added back by addLlamaPackages.
  '@node-llama-cpp/',
  // Bundled into dist/extension.js by esbuild; nothing requires it at run time.
  'vscode-languageclient',
];

/** Files inside kept packages that never run (node_modules-relative paths). */
const NEVER_PACKAGED_FILES: RegExp[] = [
  // The 34 MB llama.cpp source bundle, only used to build from source (the engine never does).
  /^node-llama-cpp\/llama\/gitRelease\.bundle$/,
  // transformers.js browser and minified builds: Node loads dist/transformers.node.{cjs,mjs}.
  /^@huggingface\/transformers\/dist\/(transformers(\.min|\.web.*|\.node\.min.*)?\.js|transformers\.node\.min\..*|ort-wasm-.*)$/,
  // transformers.js's sources (454 files): its Node builds above are bundles that load none.
  /^@huggingface\/transformers\/src\//,
  // kuromoji's browser bundle: Node runs src/ (its main) with dict/.
  /^kuromoji\/build\//,
  // zlibjs serves kuromoji's browser loader only (Node's loader uses node:zlib); the one file
  // that loader requires stays so the module graph is whole.
  /^zlibjs\/bin\/(?!gunzip\.min\.js$)/,
];

/**
 * Stand-ins that keep the staged dependency tree valid for `npm ls` (vsce refuses a tree with a
 * missing dependency) where the real package is left out. Each has the real name and version.
 */
const STUBS: Record<string, { reason: string; code: string }> = {
  // transformers.js requires sharp when it loads, for image inputs, and refuses to load without
  // it. The engine only embeds text; with the stub, transformers.js loads and an image input
  // would fail with this message instead of shipping libvips (17 MB) per platform.
  sharp: {
    reason: 'image processing is not part of MCPO Workbench (it embeds text only)',
    code:
      'module.exports = function sharp() {\n' +
      "  throw new Error('MCPO Workbench packages transformers.js for text models only: image inputs are not supported');\n" +
      '};\n',
  },
  // transformers.js's Node build carries its own copy of the web runtime it needs; the package
  // (141 MB of wasm) is a dependency for browsers only.
  'onnxruntime-web': {
    reason: 'the browser runtime; transformers.js under Node uses onnxruntime-node',
    code: "throw new Error('onnxruntime-web is not packaged: MCPO Workbench runs transformers.js under Node');\n",
  },
  '@reflink/reflink': {
    reason: 'copy-on-write file clones; node-llama-cpp falls back to a plain copy without it',
    code: "throw new Error('@reflink/reflink is not packaged: a plain copy is used instead');\n",
  },
};

function main(argv: string[]): void {
  const targets = argv.includes('--all')
    ? [...VSIX_TARGETS]
    : (argv.length ? argv : ['linux-x64']).map(vsixTarget);
  for (const file of ['dist/extension.js', 'dist/main.js', 'dist/cli.js']) {
    if (!fs.existsSync(path.join(repoRoot, file)))
      throw new Error(`${file} is missing: run npm run vscode:prepublish first`);
  }
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const projectFiles = listProjectFiles();
  const dependencies = listProductionPackages();
  for (const target of targets) {
    const started = Date.now();
    const out = path.join(OUT_DIR, vsixFileName(target.name));
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), `mcpo-vsix-${target.name}-`));
    try {
      stageProject(stage, projectFiles);
      stageDependencies(
        stage,
        dependencies.filter((pkg) => !(pkg in onnxruntimeStub(target))),
        target,
      );
      addLlamaPackages(stage, target);
      addStubs(stage, target);
      execFileSync(
        process.execPath,
        [
          VSCE,
          'package',
          '--target',
          target.name,
          '--allow-missing-repository',
          '--skip-license',
          '--out',
          out,
        ],
        { cwd: stage, stdio: ['ignore', 'ignore', 'inherit'] },
      );
    } finally {
      fs.rmSync(stage, { recursive: true, force: true, maxRetries: 3 });
    }
    const mb = (fs.statSync(out).size / 1024 / 1024).toFixed(1);
    console.log(`${path.relative(repoRoot, out)}: ${mb} MB (${Date.now() - started} ms)`);
  }
}

/** The project's own files as vsce would package them (.vscodeignore applied), no node_modules. */
function listProjectFiles(): string[] {
  const out = execFileSync(process.execPath, [VSCE, 'ls', '--no-dependencies'], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.split('\n').filter((line) => line.trim() !== '');
}

/**
 * node_modules-relative folders of the production dependency tree, without the packages that
 * are never packaged or are stubbed, and without what only they depend on.
 */
function listProductionPackages(): string[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--json', '--long'], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 256 * 1024 * 1024,
  });
  interface Node {
    path?: string;
    dependencies?: Record<string, Node>;
  }
  const modules = path.join(repoRoot, 'node_modules') + path.sep;
  // npm lists a package's dependencies at one of its places in the tree only: gather them by
  // folder first, so leaving out one dependent does not lose what another one needs.
  const byPath = new Map<string, Node>();
  const gather = (node: Node): void => {
    for (const child of Object.values(node.dependencies ?? {})) {
      if (!child.path) continue;
      const known = byPath.get(child.path);
      const count = (n?: Node): number => Object.keys(n?.dependencies ?? {}).length;
      if (!known || count(child) > count(known)) byPath.set(child.path, child);
      gather(child);
    }
  };
  const root = JSON.parse(out) as Node;
  gather(root);
  const found = new Set<string>();
  const walk = (node: Node): void => {
    for (const [name, listed] of Object.entries(node.dependencies ?? {})) {
      const child = listed.path ? (byPath.get(listed.path) ?? listed) : listed;
      if (isLeftOut(name) || !child.path?.startsWith(modules) || !fs.existsSync(child.path))
        continue;
      const relative = child.path.slice(modules.length).split(path.sep).join('/');
      if (found.has(relative)) continue;
      found.add(relative);
      walk(child);
    }
  };
  walk(root);
  return [...found].sort();
}

function isLeftOut(name: string): boolean {
  return (
    name in STUBS || NEVER_PACKAGED.some((p) => (p.endsWith('/') ? name.startsWith(p) : name === p))
  );
}

function stageProject(stage: string, files: string[]): void {
  for (const file of files) {
    const target = path.join(stage, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, file), target);
  }
  // vsce reads the ignore file in the staging folder too: the node_modules rules apply there.
  fs.copyFileSync(path.join(repoRoot, '.vscodeignore'), path.join(stage, '.vscodeignore'));
  // The build already ran; vsce must not run it again in a folder without sources.
  const manifestPath = path.join(stage, 'package.json');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as {
    scripts?: Record<string, string>;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  delete manifest.scripts;
  delete manifest.devDependencies;
  // Dependencies bundled into dist/ are not shipped again; npm ls must not look for them.
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    if (isLeftOut(name) && !(name in STUBS)) delete manifest.dependencies?.[name];
  }
  fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * A package that declares `os`/`cpu` (npm's prebuilt-binary packages, e.g. @napi-rs/nice-*)
 * and excludes the target: npm installed it for this machine only.
 */
function isOtherPlatformPackage(pkg: string, target: VsixTarget): boolean {
  const manifest = JSON.parse(
    fs.readFileSync(path.join(repoRoot, 'node_modules', pkg, 'package.json'), 'utf8'),
  ) as { os?: string[]; cpu?: string[] };
  const allows = (list: string[] | undefined, value: string): boolean =>
    !list || list.length === 0
      ? true
      : list.includes(value) ||
        (list.every((v) => v.startsWith('!')) && !list.includes(`!${value}`));
  return !allows(manifest.os, target.platform) || !allows(manifest.cpu, target.arch);
}

function stageDependencies(stage: string, packages: string[], target: VsixTarget): void {
  for (const pkg of packages) {
    if (isOtherPlatformPackage(pkg, target)) continue;
    const from = path.join(repoRoot, 'node_modules', pkg);
    fs.cpSync(from, path.join(stage, 'node_modules', pkg), {
      recursive: true,
      filter: (source) => {
        const relative = path.relative(path.join(repoRoot, 'node_modules'), source);
        const posix = relative.split(path.sep).join('/');
        // Nested node_modules are packages of their own in the list.
        if (posix.startsWith(`${pkg}/node_modules`)) return false;
        if (NEVER_PACKAGED_FILES.some((pattern) => pattern.test(posix))) return false;
        return keepOnnxruntimeBinary(posix, target);
      },
    });
  }
}

/** onnxruntime-node ships every platform's binaries in one package: keep the target's only. */
function keepOnnxruntimeBinary(posix: string, target: VsixTarget): boolean {
  const match = /^onnxruntime-node\/bin\/napi-v\d+\/([^/]+)(?:\/([^/]+))?/.exec(posix);
  if (!match) return true;
  const [, platform, arch] = match;
  if (!target.onnxruntimeDir) return false;
  const [wantPlatform, wantArch] = target.onnxruntimeDir.split('/');
  if (platform !== wantPlatform) return false;
  if (arch !== undefined && arch !== wantArch) return false;
  // The Mach-O binding links @rpath/libonnxruntime.1.dylib; the package also carries an
  // identical 44 MB copy under its full version name.
  if (/libonnxruntime\.\d+\.\d+\.\d+\.dylib$/.test(posix)) return false;
  // DirectML (GPU on Windows, 38 MB with its shader compiler): onnxruntime.dll only delay-loads
  // DirectML.dll (its PE delay-import table), i.e. when the DirectML execution provider is asked
  // for; the engine runs the CPU provider, and nothing imports dxcompiler.dll or dxil.dll.
  return !/\/(DirectML|dxcompiler|dxil)\.dll$/i.test(posix);
}

function addLlamaPackages(stage: string, target: VsixTarget): void {
  const version = packageVersion('node-llama-cpp');
  for (const name of target.llamaPackages) {
    const dest = path.join(stage, 'node_modules', ...name.split('/'));
    const installed = path.join(repoRoot, 'node_modules', ...name.split('/'));
    if (fs.existsSync(installed) && packageVersion(name) === version) {
      fs.cpSync(installed, dest, { recursive: true, filter: (s) => !s.endsWith('.lib') });
    } else {
      const tarball = fetchPackage(name, version);
      fs.mkdirSync(dest, { recursive: true });
      execFileSync('tar', ['-xzf', tarball, '-C', dest, '--strip-components=1']);
      // Windows import libraries are for linking against the addon, never loaded.
      for (const file of fs.readdirSync(dest, { recursive: true, encoding: 'utf8' })) {
        if (file.endsWith('.lib')) fs.rmSync(path.join(dest, file));
      }
    }
  }
}

/** `npm pack name@version` into the cache (a download from the registry the first time only). */
function fetchPackage(name: string, version: string): string {
  fs.mkdirSync(PACK_CACHE, { recursive: true });
  const file = path.join(PACK_CACHE, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
  if (!fs.existsSync(file)) {
    const args = [
      'pack',
      `${name}@${version}`,
      '--pack-destination',
      PACK_CACHE,
      '--loglevel=error',
    ];
    execFileSync('npm', args, {
      cwd: PACK_CACHE,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (!fs.existsSync(file)) throw new Error(`npm pack ${name}@${version} did not write ${file}`);
  }
  return file;
}

/**
 * onnxruntime-node without a binary for the target (Intel macOS): a stub that says so when the
 * embedding model is loaded, instead of a "Cannot find module" for a missing .node file.
 */
function onnxruntimeStub(target: VsixTarget): Record<string, { reason: string; code: string }> {
  if (target.onnxruntimeDir) return {};
  const message =
    `onnxruntime-node has no ${target.name} build, so the MCPO Workbench package for ` +
    `${target.name} cannot run embedding models locally (similarity hints, sent-transformer ` +
    `scores). Everything else works; run those parts on a Linux, Windows or Apple silicon machine ` +
    `(e.g. over Remote-SSH)`;
  return {
    'onnxruntime-node': {
      reason: `no ${target.name} binary exists`,
      code: `throw new Error(${JSON.stringify(message)});\n`,
    },
  };
}

function addStubs(stage: string, target: VsixTarget): void {
  for (const [name, stub] of Object.entries({ ...STUBS, ...onnxruntimeStub(target) })) {
    const dir = path.join(stage, 'node_modules', ...name.split('/'));
    fs.mkdirSync(dir, { recursive: true });
    const manifest = {
      name,
      version: packageVersion(name),
      description: `MCPO Workbench packaging stub: ${stub.reason}`,
      main: 'index.js',
    };
    fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.writeFileSync(path.join(dir, 'index.js'), stub.code);
  }
}

function packageVersion(name: string): string {
  const file = path.join(repoRoot, 'node_modules', ...name.split('/'), 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error(`package: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
