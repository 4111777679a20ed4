/**
 * The one folder every downloaded model goes to: embedding models (transformers.js), local GGUF
 * models (node-llama-cpp) and the Japanese BLEU dictionary.
 */
import * as os from 'node:os';
import * as path from 'node:path';

/** `$MCPO_MODEL_CACHE`, else `~/.cache/mcpo/models` (on Windows `%USERPROFILE%\.cache\mcpo\models`). */
export function defaultModelCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  home: string = os.homedir(),
  paths: path.PlatformPath = path,
): string {
  const fromEnv = env.MCPO_MODEL_CACHE;
  return fromEnv && fromEnv.length > 0 ? fromEnv : paths.join(home, '.cache', 'mcpo', 'models');
}
