import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { repoRoot } from './paths';

/** The transpiled language server the LSP tests drive over stdio. */
export const LSP_SERVER = path.join(repoRoot, 'out', 'server', 'main.js');

export interface LspServer {
  conn: MessageConnection;
  child: ChildProcess;
  /** Initializes the server; register notification handlers on `conn` before calling it. */
  initialize(capabilities?: Record<string, unknown>): Promise<void>;
  /** shutdown + exit, then the process is gone. */
  stop(): Promise<void>;
}

/** Starts the engine's language server as a child process, as a client would. */
export function startLspServer(env: NodeJS.ProcessEnv = process.env): LspServer {
  const child = spawn(process.execPath, [LSP_SERVER, '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env,
  });
  const conn = createMessageConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  conn.onNotification('window/logMessage', () => undefined);
  return {
    conn,
    child,
    async initialize(capabilities = {}) {
      conn.listen();
      await conn.sendRequest('initialize', {
        processId: process.pid,
        rootUri: null,
        capabilities,
        initializationOptions: {},
      });
      void conn.sendNotification('initialized', {});
    },
    async stop() {
      await conn.sendRequest('shutdown');
      // Wait for the exit notification to be written and the process to end before closing the
      // streams: disposing first races the write ("write after a stream was destroyed").
      // A server that does not exit within 10 s is killed: stopping never hangs a test.
      const exited =
        child.exitCode !== null
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
              child.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
            });
      await conn.sendNotification('exit');
      await exited;
      conn.dispose();
    },
  };
}
