/**
 * What sentence-transformers does after the transformer, as a model's own files say it: pooling
 * (mean or CLS), Normalize, max_seq_length, do_lower_case and named prompts (modules.json,
 * sentence_bert_config.json, config_sentence_transformers.json), with the default models'
 * values pinned.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { modelName } from './modelSource';

export type Pooling = 'mean' | 'cls';

export interface SentenceSettings {
  pooling: Pooling;
  /** True when the model's module list ends in a Normalize module. */
  normalize: boolean;
  /** sentence_bert_config.json max_seq_length; undefined = the tokenizer's own limit. */
  maxSeqLength: number | undefined;
  /** sentence_bert_config.json do_lower_case: sentence-transformers lower-cases the text itself. */
  lowercase: boolean;
  /** config_sentence_transformers.json `prompts` and `default_prompt_name`. */
  prompts: Record<string, string>;
  defaultPromptName?: string;
}

const DEFAULT_SETTINGS: SentenceSettings = {
  pooling: 'mean',
  normalize: false,
  maxSeqLength: undefined,
  lowercase: false,
  prompts: {},
};

/**
 * The sentence-transformers configs of the default models (modules.json, sentence_bert_config.json
 * of sentence-transformers/all-MiniLM-L6-v2 and paraphrase-multilingual-MiniLM-L12-v2). The Xenova
 * ONNX conversions are not guaranteed to carry those files, and the tokenizer's own limit (512) is
 * longer than what the official encoder keeps, so the values are pinned here. The paper's M_V,
 * Snowflake/snowflake-arctic-embed-m, is pinned too (CLS pooling, Normalize, 512, its query
 * prompt) so the reference's similarity holds even where its config files cannot be fetched.
 */
const KNOWN_SETTINGS: Readonly<Record<string, SentenceSettings>> = {
  'all-MiniLM-L6-v2': {
    pooling: 'mean',
    normalize: true,
    maxSeqLength: 256,
    lowercase: false,
    prompts: {},
  },
  'paraphrase-multilingual-MiniLM-L12-v2': {
    pooling: 'mean',
    normalize: false,
    maxSeqLength: 128,
    lowercase: false,
    prompts: {},
  },
  'snowflake-arctic-embed-m': {
    pooling: 'cls',
    normalize: true,
    maxSeqLength: 512,
    lowercase: false,
    prompts: { query: 'Represent this sentence for searching relevant passages: ' },
  },
};

/** Known settings by the last path segment, so a local copy named like the hub repo also matches. */
function knownSettings(model: string): SentenceSettings | undefined {
  const name = modelName(model);
  return Object.hasOwn(KNOWN_SETTINGS, name) ? KNOWN_SETTINGS[name] : undefined;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ModuleEntry {
  type: string;
  path: string;
}

function readModules(folder: string): ModuleEntry[] | undefined {
  const raw = readJson(path.join(folder, 'modules.json'));
  if (!Array.isArray(raw)) return undefined;
  return raw
    .filter(isRecord)
    .map((m) => ({ type: String(m.type ?? ''), path: String(m.path ?? '') }));
}

function poolingFromConfig(folder: string, modulePath: string): Pooling {
  const config = readJson(path.join(folder, modulePath, 'config.json'));
  if (!isRecord(config) || config.pooling_mode_mean_tokens === true) return 'mean';
  if (config.pooling_mode_cls_token === true) return 'cls';
  throw new Error(
    `unsupported pooling in ${path.join(modulePath, 'config.json')} (only mean and CLS pooling are implemented)`,
  );
}

/** config_sentence_transformers.json: the named prompts and the default prompt's name. */
function promptSettings(folder: string): Pick<SentenceSettings, 'prompts' | 'defaultPromptName'> {
  const config = readJson(path.join(folder, 'config_sentence_transformers.json'));
  if (!isRecord(config)) return { prompts: {} };
  const prompts: Record<string, string> = {};
  if (isRecord(config.prompts))
    for (const [name, text] of Object.entries(config.prompts))
      if (typeof text === 'string') prompts[name] = text;
  const name = config.default_prompt_name;
  if (typeof name === 'string' && !Object.hasOwn(prompts, name))
    throw new Error(
      `config_sentence_transformers.json names default_prompt_name "${name}", which is not one of its prompts (${Object.keys(prompts).join(', ') || 'none'})`,
    );
  return typeof name === 'string' ? { prompts, defaultPromptName: name } : { prompts };
}

/** A local folder's sentence-transformers files, falling back to known models, then defaults. */
export function localSettings(folder: string): SentenceSettings {
  const modules = readModules(folder);
  const stConfig = readJson(path.join(folder, 'sentence_bert_config.json'));
  const prompts = promptSettings(folder);
  if (!modules && !isRecord(stConfig)) {
    const known = knownSettings(folder) ?? DEFAULT_SETTINGS;
    return Object.keys(prompts.prompts).length > 0 ? { ...known, ...prompts } : known;
  }
  const poolingModule = modules?.find((m) => m.type.endsWith('.Pooling'));
  const maxSeq = isRecord(stConfig) ? stConfig.max_seq_length : undefined;
  return {
    pooling: poolingModule ? poolingFromConfig(folder, poolingModule.path) : 'mean',
    normalize: modules?.some((m) => m.type.endsWith('.Normalize')) ?? false,
    maxSeqLength: typeof maxSeq === 'number' && maxSeq > 0 ? maxSeq : undefined,
    lowercase: isRecord(stConfig) && stConfig.do_lower_case === true,
    ...prompts,
  };
}

/** The sentence-transformers files fetched next to a hub model's cached files. */
const SENTENCE_FILES = [
  'modules.json',
  'sentence_bert_config.json',
  'config_sentence_transformers.json',
];

/**
 * A hub model's sentence-transformers settings: pinned ones for known models, else its own
 * modules.json / pooling / prompts files, fetched from `remoteHost` into the model cache next to
 * the files transformers.js downloaded (a file the repo does not have is simply absent).
 */
export async function hubSettings(
  remoteHost: string,
  id: string,
  cacheDir: string,
  allowRemote: boolean,
): Promise<SentenceSettings> {
  const known = knownSettings(id);
  if (known) return known;
  const folder = path.join(cacheDir, id);
  const fetchFile = async (file: string): Promise<void> => {
    const target = path.join(folder, file);
    if (fs.existsSync(target) || !allowRemote) return;
    const url = `${remoteHost.replace(/\/+$/, '')}/${id}/resolve/main/${file}`;
    const response = await fetch(url).catch(() => undefined);
    if (!response?.ok) return;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, Buffer.from(await response.arrayBuffer()));
  };
  await Promise.all(SENTENCE_FILES.map(fetchFile));
  const pooling = readModules(folder)?.find((m) => m.type.endsWith('.Pooling'));
  if (pooling) await fetchFile(path.join(pooling.path, 'config.json'));
  return localSettings(folder);
}
