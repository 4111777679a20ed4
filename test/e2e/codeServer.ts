/**
 * Starts and stops a real VS Code (code-server 4.100.3, installed by test/e2e/install-code-server.sh
 * into its own folder) for end-to-end and integration tests, following
 * ../shared/notes/vscode-e2e.md. Every run gets a fresh temporary folder holding the config,
 * user data, extensions and XDG dirs, so runs never share state or touch the home folder.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface CodeServerOptions {
  /** The folder given to install-code-server.sh (or code-server's own package folder); default defaultCodeServerDir(). */
  codeServerDir?: string;
  /** The folder the workbench opens; also passed on the command line as the last folder. */
  workspace: string;
  /** Absolute path of an extension to load in development mode (through the URL payload). */
  extensionDevelopmentPath?: string;
  /** Absolute path of a test suite module exporting run(); the workbench exits when it settles. */
  extensionTestsPath?: string;
  /** Added to code-server's environment; it reaches the extension host. */
  env?: NodeJS.ProcessEnv;
  /** Merged over the seeded defaults in the run's user settings.json. */
  userSettings?: Record<string, unknown>;
  /** .vsix files installed into the run's extensions folder before start-up. */
  installVsix?: string[];
  /** How long to wait for /healthz (default 30 s; it usually answers within 1.5 s). */
  startTimeoutMs?: number;
}

export interface CodeServer {
  url: string;
  port: number;
  /** The temporary folder holding config.yaml, user data, extensions and code-server.log. */
  runDir: string;
  /** Kept so workbenchUrl() can rebuild the development payload without repeating it. */
  options: Readonly<CodeServerOptions>;
  /** Everything code-server printed so far (also in RUN/code-server.log): for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Where install-code-server.sh puts code-server unless told otherwise. */
export function defaultCodeServerDir(): string {
  return (
    process.env.MCPO_CODE_SERVER_DIR || path.join(os.homedir(), '.cache', 'mcpo-e2e', 'code-server')
  );
}

/**
 * code-server's entry point inside `dir`, or undefined when it is not installed. Accepts the
 * install folder (node_modules/code-server inside) or code-server's package folder itself.
 */
export function codeServerEntry(dir: string): string | undefined {
  const candidates = [
    path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    path.join(dir, 'out', 'node', 'entry.js'),
  ];
  return candidates.find((p) => fs.existsSync(p));
}

/** The settings that keep a test workbench quiet and deterministic (no tours, no network). */
export const defaultUserSettings: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'security.workspace.trust.enabled': false,
  'chat.commandCenter.enabled': false,
};

/** Asks the OS for a free loopback port (closed again before code-server binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port from the OS'))));
    });
  });
}

/** `vscode-remote://` URI for a path on the code-server machine, as the web workbench expects. */
export function remoteUri(server: Pick<CodeServer, 'port'>, absPath: string): string {
  const posix = path.resolve(absPath).split(path.sep).join('/');
  return `vscode-remote://127.0.0.1:${server.port}${encodeURI(posix)}`;
}

/**
 * The workbench URL for `folder`. The CLI's --extensionDevelopmentPath is not supported by
 * code-server, so development and test paths go in VS Code web's `payload` query parameter.
 * Extra payload entries (e.g. [['skipWelcome', 'true']]) are appended.
 */
export function workbenchUrl(
  server: CodeServer,
  folder: string = server.options.workspace,
  payload: ReadonlyArray<readonly [string, string]> = [],
): string {
  const entries: Array<readonly [string, string]> = [];
  if (server.options.extensionDevelopmentPath) {
    entries.push([
      'extensionDevelopmentPath',
      remoteUri(server, server.options.extensionDevelopmentPath),
    ]);
  }
  if (server.options.extensionTestsPath) {
    entries.push(['extensionTestsPath', remoteUri(server, server.options.extensionTestsPath)]);
  }
  entries.push(...payload);
  const query = [`folder=${encodeURIComponent(path.resolve(folder))}`];
  if (entries.length) query.push(`payload=${encodeURIComponent(JSON.stringify(entries))}`);
  return `${server.url}/?${query.join('&')}`;
}

/** Installs a .vsix into an extensions folder with code-server's own CLI (synchronous: setup). */
export function installVsix(
  codeServerDir: string,
  extensionsDir: string,
  vsix: string,
  userDataDir?: string,
): string {
  const entry = requireEntry(codeServerDir);
  const args = [
    entry,
    '--extensions-dir',
    extensionsDir,
    '--install-extension',
    path.resolve(vsix),
    '--force',
  ];
  if (userDataDir) args.push('--user-data-dir', userDataDir);
  const res = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
  const out = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  if (res.status !== 0)
    throw new Error(`--install-extension ${vsix} failed (${res.status ?? res.signal}):\n${out}`);
  return out;
}

/** Why code-server cannot be started from `dir` (false when it can): the skip reason of tests. */
export function codeServerMissing(dir: string = defaultCodeServerDir()): false | string {
  return codeServerEntry(dir)
    ? false
    : `code-server is not installed in ${dir}: run test/e2e/install-code-server.sh (or set MCPO_CODE_SERVER_DIR)`;
}

function requireEntry(codeServerDir: string): string {
  const entry = codeServerEntry(codeServerDir);
  if (!entry) throw new Error(codeServerMissing(codeServerDir) || 'code-server is missing');
  return entry;
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const codeServerDir = opts.codeServerDir ?? defaultCodeServerDir();
  const entry = requireEntry(codeServerDir);
  const port = await freePort();
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-code-server-'));
  const dirs = {
    user: path.join(runDir, 'user'),
    extensions: path.join(runDir, 'extensions'),
    xdgData: path.join(runDir, 'xdg-data'),
    xdgConfig: path.join(runDir, 'xdg-config'),
    xdgCache: path.join(runDir, 'xdg-cache'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(dirs.user, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(dirs.user, 'User', 'settings.json'),
    JSON.stringify({ ...defaultUserSettings, ...opts.userSettings }, null, 2),
  );
  // auth none + loopback only: the browser is ours and no password prompt gets in the way.
  const configPath = path.join(runDir, 'config.yaml');
  fs.writeFileSync(configPath, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);

  for (const vsix of opts.installVsix ?? [])
    installVsix(codeServerDir, dirs.extensions, vsix, dirs.user);

  const env: NodeJS.ProcessEnv = {};
  // Variables of an enclosing VS Code (its terminal or test host) would confuse the server.
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VSCODE_') && key !== 'ELECTRON_RUN_AS_NODE') env[key] = value;
  }
  Object.assign(
    env,
    {
      // Otherwise code-server writes state and its own config into the home folder.
      XDG_DATA_HOME: dirs.xdgData,
      XDG_CONFIG_HOME: dirs.xdgConfig,
      XDG_CACHE_HOME: dirs.xdgCache,
    },
    opts.env,
  );

  const args = [
    entry,
    '--config',
    configPath,
    '--user-data-dir',
    dirs.user,
    '--extensions-dir',
    dirs.extensions,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    path.resolve(opts.workspace),
  ];
  // detached: its own process group, so stop() can end the server together with its extension
  // host, pty host and file watcher children by signalling the group.
  const child = spawn(process.execPath, args, {
    cwd: runDir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logFile = fs.createWriteStream(path.join(runDir, 'code-server.log'));
  let output = '';
  const collect = (chunk: Buffer): void => {
    logFile.write(chunk);
    // Bounded: only the tail matters in a failure message.
    output = (output + chunk.toString('utf8')).slice(-200_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });

  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await killGroup(child, exited);
    await new Promise<void>((resolve) => logFile.end(resolve));
    if (!process.env.MCPO_E2E_KEEP_RUN_DIR)
      fs.rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
  };
  const server: CodeServer = {
    url,
    port,
    runDir,
    options: { ...opts },
    output: () => output,
    stop,
  };

  try {
    await waitForHealthz(url, exited, opts.startTimeoutMs ?? 30_000);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await stop();
    throw new Error(`${message}\n--- code-server output ---\n${output.slice(-4000)}`, {
      cause: err,
    });
  }
  return server;
}

/** Polls /healthz until it answers 200, code-server exits, or the deadline passes. */
async function waitForHealthz(
  url: string,
  exited: Promise<number | string>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: number | string | undefined;
  void exited.then((code) => (exitedWith = code));
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (exitedWith !== undefined)
      throw new Error(`code-server exited (${exitedWith}) before /healthz answered`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    // A poll interval, not a wait for readiness: the loop ends as soon as /healthz answers.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`code-server /healthz did not answer within ${timeoutMs} ms (${lastError})`);
}

/** SIGTERM to the process group, SIGKILL if it is still there after 5 s. */
async function killGroup(child: ChildProcess, exited: Promise<number | string>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    signalGroup(child.pid, 'SIGKILL'); // leftover children of an already-dead server
    return;
  }
  signalGroup(child.pid, 'SIGTERM');
  const timedOut = Symbol('timeout');
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    exited,
    new Promise<typeof timedOut>((resolve) => (timer = setTimeout(() => resolve(timedOut), 5_000))),
  ]);
  clearTimeout(timer);
  // The server may exit before its children; the group kill reaches those as well.
  signalGroup(child.pid, 'SIGKILL');
  if (outcome === timedOut) await exited;
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * A fresh temporary workspace folder. `files` maps a relative path in the workspace to a source
 * file to copy (or, with `{ text }`, literal content). The caller removes it (see removeDir).
 */
export function createWorkspace(files: Record<string, string | { text: string }> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-workspace-'));
  for (const [relative, source] of Object.entries(files)) {
    const target = path.join(dir, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (typeof source === 'string') fs.copyFileSync(source, target);
    else fs.writeFileSync(target, source.text);
  }
  return dir;
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
