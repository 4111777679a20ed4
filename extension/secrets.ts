/** API keys, only ever in VS Code's SecretStorage: never in settings, logs or files. */
import type * as vscode from 'vscode';
import type { Secrets } from '../server/protocol/settings';

const KEYS = { llm: 'mcpo.llmApiKey', slm: 'mcpo.slmApiKey' } as const;

export type KeyRole = keyof typeof KEYS;

export async function readSecrets(storage: vscode.SecretStorage): Promise<Secrets> {
  return { llmApiKey: await storage.get(KEYS.llm), slmApiKey: await storage.get(KEYS.slm) };
}

export async function storeApiKey(
  storage: vscode.SecretStorage,
  role: KeyRole,
  key: string,
): Promise<void> {
  if (key === '') await storage.delete(KEYS[role]);
  else await storage.store(KEYS[role], key);
}
