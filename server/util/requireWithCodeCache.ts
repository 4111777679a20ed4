/**
 * `require` of one large CommonJS file with a V8 code cache, so a process that loads it again
 * skips compiling it. Node 20 has no `module.enableCompileCache` (Node 22), so this does by hand
 * what that does: compile the file as Node's module wrapper would, with the cached code when
 * there is some, and write a new cache when there is none or V8 rejected it.
 *
 * Used for the bundled transformers.js (dist/transformers.js, 0.6 MB), which every process that
 * scores or embeds loads once: compiling it was about a third of its load time.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { writeFileAtomic } from './writeFileAtomic';

/** What one load did with the cache: for tests and the bench. */
export type CodeCacheUse = 'used' | 'written' | 'rejected-and-written' | 'unwritable';

export interface LoadedWithCodeCache {
  exports: unknown;
  cache: CodeCacheUse;
  cacheFile: string;
}

/**
 * The cache file of `source`. V8 checks only a cached script's length, flags and version, not
 * its text, so the file is named by the text's hash: a rebuilt bundle of the same length never
 * meets the old cache. Node's version and the CPU are in the name because V8 rejects the cache of
 * another version (it would only be rewritten on every alternate load).
 */
export function codeCacheFile(cacheDir: string, file: string, source: string): string {
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const name = `${path.basename(file, '.js')}-${hash}-${process.version}-${process.arch}.v8cache`;
  return path.join(cacheDir, name);
}

export function requireWithCodeCache(file: string, cacheDir: string): LoadedWithCodeCache {
  const source = fs.readFileSync(file, 'utf8');
  const cacheFile = codeCacheFile(cacheDir, file, source);
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // No cache yet: compiled from source, then written below.
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    cachedData,
    // import() inside the file resolves as it would in a required module.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const mod = new Module(file);
  mod.filename = file;
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: Module,
    filename: string,
    dirname: string,
  ) => void;
  wrapper.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  let cache: CodeCacheUse = 'used';
  if (cachedData === undefined || script.cachedDataRejected) {
    // After running the file's top level, so the functions that ran are in the cache as well.
    try {
      writeFileAtomic(cacheFile, script.createCachedData());
      removeOtherCaches(cacheFile, file);
      cache = cachedData === undefined ? 'written' : 'rejected-and-written';
    } catch {
      // A read-only cache folder costs the next load its compile time, nothing else.
      cache = 'unwritable';
    }
  }
  return { exports: mod.exports, cache, cacheFile };
}

/** Caches of earlier builds of `file` (1 MB each): every rebuild would otherwise leave one. */
function removeOtherCaches(keep: string, file: string): void {
  const dir = path.dirname(keep);
  const prefix = `${path.basename(file, '.js')}-`;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(prefix) && name.endsWith('.v8cache') && path.join(dir, name) !== keep)
      fs.rmSync(path.join(dir, name), { force: true });
  }
}
