/**
 * Prompt templates (MCPO paper, section 5): frame a ShopBench question as ordered segments so
 * that every character of the framed question is either original text, template text inserted,
 * or template text replacing a known piece of the original. Assembly turns segments into
 * provenance spans; nothing later has to diff strings to find what a template changed.
 */
import { promises as fs } from 'node:fs';
import { isTaskType, TASK_TYPES, type ShopBenchRow, type TaskType } from '../dataset/shopbench';
import { findNumberedOptions } from '../dataset/options';
import type { TemplatePreset } from './types';
import { UserError } from '../userError';

export type Segment =
  { text: string; source: 'original' } | { text: string; source: 'template'; replaces?: string };

/**
 * A question framed by a template.
 * - `system`: template text put before the question (never original text).
 * - `question`: the original prompt up to its answer cue, possibly with template replacements.
 * - `answerCue`: the trailing "Answer: " / "Output: " line (with its trailing whitespace); empty
 *   when the prompt has none.
 * - `notes`: why a template did not apply everything it could (shown to the user).
 */
export interface TemplatedQuestion {
  system: Segment[];
  question: Segment[];
  answerCue: Segment[];
  notes: string[];
}

/**
 * A user's own templates, per task type: either the paper's prompt parts to switch on
 * (`parts`, e.g. [1, 2]), or a system text and/or a replacement for the answer cue.
 */
export interface UserTemplate {
  parts?: PromptPart[];
  system?: string;
  answerCue?: string;
}
export type UserTemplates = Partial<Record<TaskType, UserTemplate>>;

/** Where the trailing answer cue sits: [start, labelEnd) is e.g. "Output:", [labelEnd, end) the whitespace after. */
export interface AnswerCue {
  start: number;
  labelEnd: number;
  end: number;
}

// The cue is the last non-blank line, starting with Answer/Output/Response and ending with ':'
// (also "Output (answer in three comma-separated numbers):" of task13).
const CUE_LINE = /^(?:Answer|Output|Response)\b[^\n]*:$/;

export function findAnswerCue(prompt: string): AnswerCue | undefined {
  const labelEnd = prompt.trimEnd().length;
  const start = prompt.lastIndexOf('\n', labelEnd - 1) + 1;
  if (labelEnd === 0 || !CUE_LINE.test(prompt.slice(start, labelEnd))) return undefined;
  return { start, labelEnd, end: prompt.length };
}

// ---------------------------------------------------------------------------------------------
// The paper's prompt parts (section 5, Table 5). Prompt1/2/3 are switched per task type; the
// paper's submission used Prompt1 + Prompt2 and not Prompt3. Each text names its source.
// ---------------------------------------------------------------------------------------------

/** A prompt part of the paper's Table 5. */
export type PromptPart = 1 | 2 | 3;
/** Per task type, the parts switched on. */
export type PromptParts = Record<TaskType, PromptPart[]>;

/** The parts each task type has (multiple choice and generation have no Prompt3; NER has none). */
export const AVAILABLE_PARTS: Readonly<Record<TaskType, readonly PromptPart[]>> = {
  'multiple-choice': [1, 2],
  retrieval: [1, 2, 3],
  generation: [1, 2],
  ranking: [1, 2, 3],
  named_entity_recognition: [],
};

/** The paper's submission: Prompt1 + Prompt2 everywhere, Prompt3 off, NER untouched (section 5). */
export const PAPER_PROMPT_PARTS: Readonly<PromptParts> = {
  'multiple-choice': [1, 2],
  retrieval: [1, 2],
  generation: [1, 2],
  ranking: [1, 2],
  named_entity_recognition: [],
};

/** Every part off: the raw prompt. */
export const NO_PROMPT_PARTS: Readonly<PromptParts> = {
  'multiple-choice': [],
  retrieval: [],
  generation: [],
  ranking: [],
  named_entity_recognition: [],
};

// Multiple choice, Prompt1: paper section 5 (the reference's is_mc prepends a different
// "product manager" text; the paper wins).
export const MCQ_PREFIX =
  'Please think cautiously. The answers or responses are very important. You should only answer a number of options. Do not say other words or explanation.';
// Retrieval/generation Prompt2 and ranking Prompt1's first sentence: paper section 5 (reference
// is_retrival / is_generate "good_prompt").
export const KNOWLEDGE_LINE = 'Based on your previous knowledge then generate the answer.';
// Retrieval, Prompt1: paper section 5, full length (reference is_retrival).
export const RETRIEVAL_ROLE =
  'This is a retrieval question. You are a highly skilled online shopping assistant and a professional product retrieval expert. Your goal is to help consumers quickly and accurately identify products that meet their specific needs. You provide a clear and concise list of retrieval results, including the product name, key attributes, and how they meet the requirements. Please analyze the following request and deliver accurate retrieval results.';
// Retrieval, Prompt3 (not submitted): paper section 5; the reference code has no Prompt3.
export const RETRIEVAL_PROMPT3 = 'generate the answer as clearly as possible';
// Ranking, Prompt1: paper section 5 (the reference's is_ranking leaves out the first sentence).
export const RANKING_ROLE = `${KNOWLEDGE_LINE} You are a helpful online shopping assistant. Please answer the following question about online shopping and follow the given instructions.`;
// Ranking, Prompt2: paper section 5 (the reference glues it to Prompt1 without a space).
export const RANKING_PROMPT2 =
  'In this task, each question is associated with a requirement and a list of candidate items, and the model is required to re-rank all items according to how each item satisfies the requirement.';
// Ranking, Prompt3 (not submitted): paper section 5, as the paper writes it (no final period).
export const RANKING_ONLY_RESULTS =
  'Only respond with the ranking results. Do not say any word or explanations';
// Generation, Prompt2: paper section 5 / reference is_generate (every "Answer" and "Output").
export const GENERATION_CUE = 'Response (limit to 30 words)';
const GENERATION_REPLACED = /Answer|Output/g;
// After the leading parts, the question starts on a new paragraph (reference: every role ends "\n\n").
const LEAD_END = '\n\n';

/** Task11-style relation options in ECInstruct's words; <p1>/<p2> are the two quoted names (paper section 5, reference is_mc). */
export const RELATION_WORDING: Readonly<Record<string, (p1: string, p2: string) => string>> = {
  irrelevant: (p1, p2) => `${p1} and ${p2} are irrelevant`,
  substitute: (p1, p2) => `${p1} and ${p2} are similar`,
  complement: (p1, p2) => `Users who buy ${p1} may also buy ${p2}`,
  narrowing: (p1, p2) => `${p2} is a further search of ${p1}`,
};
const RELATION_QUESTION = 'Which of the following statements best describes the relation';

/**
 * Generation roles (Prompt1) as the reference's select_inst behaves: it tests the whole prompt,
 * lower-cased, first match wins. Its "customer Review" and "AQ" branches compare mixed-case
 * words with a lower-cased string and never match, so they are left out.
 */
export const GENERATION_ROLES: readonly { keyword: string; role: string }[] = [
  {
    keyword: 'product description',
    // Paper section 5 quotes it with "instructions" (the reference says "instruction"); the paper wins.
    role: 'You are a marketing specialist. Write a detailed and persuasive product description based on the following instructions.',
  },
  {
    keyword: 'recommendation',
    // Reference select_inst.
    role: 'You are a personal shopping assistant. Generate personalized product recommendations for a customer based on their recent browsing history and purchase patterns based on the following instruction.',
  },
  {
    keyword: 'email',
    // Reference select_inst (a social media post instruction, whatever the email asks).
    role: 'Social Media Post:\nGenerate a social media post for an e-commerce product. Include an engaging opening statement, key features, relevant hashtags, and a call to action.',
  },
];
// Reference select_inst's default.
export const DEFAULT_GENERATION_ROLE =
  'You are assistant in online e-commerce. Now you need to answer the generation task based on the following instruct.';

/** The generation role for a prompt: the reference's keyword tests on the whole lower-cased prompt. */
export function generationRole(prompt: string): string {
  const lower = prompt.toLowerCase();
  return GENERATION_ROLES.find((r) => lower.includes(r.keyword))?.role ?? DEFAULT_GENERATION_ROLE;
}

/**
 * Frames `row` with `templates`: 'none' (the raw prompt), 'paper' (the paper's prompt parts,
 * `parts` per task type, default Prompt1 + Prompt2) or a user's templates file.
 */
export function applyTemplate(
  templates: TemplatePreset | UserTemplates,
  row: ShopBenchRow,
  parts: Readonly<PromptParts> = PAPER_PROMPT_PARTS,
): TemplatedQuestion {
  const prompt = row.input_field;
  const cue = findAnswerCue(prompt);
  const questionText = cue ? prompt.slice(0, cue.start) : prompt;
  const cueText = cue ? prompt.slice(cue.start, cue.end) : '';
  const notes: string[] = [];
  if (templates === 'none') {
    return { system: [], question: original(questionText), answerCue: original(cueText), notes };
  }
  const user = templates === 'paper' ? undefined : templates[row.task_type];
  if (templates !== 'paper' && !user) {
    notes.push(`no user template for task type ${row.task_type}`);
    return { system: [], question: original(questionText), answerCue: original(cueText), notes };
  }
  if (user && user.parts === undefined) return userFraming(user, prompt, cue, notes);
  const on = new Set(user?.parts ?? parts[row.task_type]);
  const framing = paperFraming(row.task_type, prompt, questionText, on);
  notes.push(...framing.notes);
  const lead = framing.lead.filter((t) => t !== '');
  const question = framing.question ?? original(questionText);
  if (framing.beforeCue) {
    // Its own line just before the answer cue (or at the end when the prompt has none).
    const newline = questionText === '' || questionText.endsWith('\n') ? '' : '\n';
    question.push({ text: `${newline}${framing.beforeCue}\n`, source: 'template' });
  }
  return {
    system: lead.length > 0 ? [{ text: lead.join(' ') + LEAD_END, source: 'template' }] : [],
    question,
    answerCue: framing.cue ?? original(cueText),
    notes,
  };
}

interface Framing {
  /** Texts before the question, joined by spaces; '' entries are parts switched off. */
  lead: string[];
  question?: Segment[];
  /** A line inserted just before the answer cue. */
  beforeCue?: string;
  cue?: Segment[];
  notes: string[];
}

function paperFraming(
  taskType: TaskType,
  prompt: string,
  questionText: string,
  on: ReadonlySet<PromptPart>,
): Framing {
  const part = (n: PromptPart, text: string): string => (on.has(n) ? text : '');
  const cueText = prompt.slice(questionText.length);
  switch (taskType) {
    case 'multiple-choice': {
      const rewrite = on.has(2) ? relationRewrite(questionText) : undefined;
      return {
        lead: [part(1, MCQ_PREFIX)],
        question: rewrite?.segments,
        notes: rewrite?.note ? [rewrite.note] : [],
      };
    }
    case 'retrieval':
      // Reference is_retrival: Prompt2 first, then Prompt1, then the question.
      return {
        lead: [part(2, KNOWLEDGE_LINE), part(1, RETRIEVAL_ROLE)],
        beforeCue: part(3, RETRIEVAL_PROMPT3) || undefined,
        notes: [],
      };
    case 'ranking':
      return {
        lead: [part(1, RANKING_ROLE), part(2, RANKING_PROMPT2)],
        beforeCue: part(3, RANKING_ONLY_RESULTS) || undefined,
        notes: [],
      };
    case 'generation':
      // Reference is_generate: Prompt2's sentence, then the role (Prompt1), then the question.
      return {
        lead: [part(2, KNOWLEDGE_LINE), part(1, generationRole(prompt))],
        question: on.has(2)
          ? replaceAll(questionText, GENERATION_REPLACED, GENERATION_CUE)
          : undefined,
        cue: on.has(2) ? replaceAll(cueText, GENERATION_REPLACED, GENERATION_CUE) : undefined,
        notes: [],
      };
    case 'named_entity_recognition':
      // The paper has no NER template and ShopBench NER prompts already open with a role.
      return { lead: [], notes: ['the paper has no NER template; the question is left as is'] };
  }
}

function userFraming(
  t: UserTemplate,
  prompt: string,
  cue: AnswerCue | undefined,
  notes: string[],
): TemplatedQuestion {
  const questionText = cue ? prompt.slice(0, cue.start) : prompt;
  if (t.answerCue !== undefined && !cue)
    notes.push(
      'the prompt has no trailing "Answer:"/"Output:" cue; the cue template was not applied',
    );
  // A system text that does not end a line would run into the question's first word.
  const system =
    t.system === undefined || t.system === ''
      ? undefined
      : /\s$/.test(t.system)
        ? t.system
        : `${t.system}\n`;
  return {
    system: system === undefined ? [] : [{ text: system, source: 'template' }],
    question: original(questionText),
    answerCue: cueSegments(prompt, cue, t.answerCue),
    notes,
  };
}

/** Every match of `pattern` in `text` replaced by `replacement`, as segments. */
function replaceAll(text: string, pattern: RegExp, replacement: string): Segment[] {
  const segments: Segment[] = [];
  let pos = 0;
  for (const m of text.matchAll(pattern)) {
    segments.push(...original(text.slice(pos, m.index)));
    segments.push({ text: replacement, source: 'template', replaces: m[0] });
    pos = m.index + m[0].length;
  }
  segments.push(...original(text.slice(pos)));
  return segments;
}

/**
 * The two names of a relation question as the reference extracts them: the first two
 * double-quoted texts, only when the prompt has double quotes and no single quote (reference is_mc).
 */
export function relationNames(questionText: string): [string, string] | undefined {
  if (!questionText.includes(RELATION_QUESTION)) return undefined;
  if (!questionText.includes('"') || questionText.includes("'")) return undefined;
  const names = [...questionText.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  return names.length >= 2 ? [names[0], names[1]] : undefined;
}

/**
 * Multiple choice Prompt2: task11-style relation options reworded with the two quoted names. Only
 * for relation questions whose names can be extracted and whose options are all relation words,
 * so that a lone option "complement" of some other question keeps its meaning.
 */
function relationRewrite(questionText: string): { segments?: Segment[]; note?: string } {
  const options = findNumberedOptions(questionText);
  if (options.length === 0 || !options.every((o) => Object.hasOwn(RELATION_WORDING, o.text)))
    return {};
  const names = relationNames(questionText);
  if (!names)
    return {
      note: 'relation options left as they are: the two quoted names could not be extracted',
    };
  const segments: Segment[] = [];
  let pos = 0;
  for (const o of options) {
    segments.push(...original(questionText.slice(pos, o.textStart)));
    const text = RELATION_WORDING[o.text](names[0], names[1]);
    segments.push({ text, source: 'template', replaces: o.text });
    pos = o.textEnd;
  }
  segments.push(...original(questionText.slice(pos)));
  return { segments };
}

function cueSegments(
  prompt: string,
  cue: AnswerCue | undefined,
  replacement: string | undefined,
): Segment[] {
  if (!cue) return [];
  if (replacement === undefined) return original(prompt.slice(cue.start, cue.end));
  return [
    { text: replacement, source: 'template', replaces: prompt.slice(cue.start, cue.labelEnd) },
    ...original(prompt.slice(cue.labelEnd, cue.end)),
  ];
}

function original(text: string): Segment[] {
  return text === '' ? [] : [{ text, source: 'original' }];
}

/** The text a segment stands for in the original prompt (inserted template text stands for nothing). */
export function originalText(segments: readonly Segment[]): string {
  return segments.map((s) => (s.source === 'original' ? s.text : (s.replaces ?? ''))).join('');
}

export class UserTemplatesError extends UserError {
  override name = 'UserTemplatesError';
}

/**
 * Loads `{ "<task type>": { "system"?: string, "answerCue"?: string }, ... }`. Unknown task
 * types and fields are errors (a typo would otherwise silently fall back to no template).
 */
export async function loadUserTemplates(file: string): Promise<UserTemplates> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new UserTemplatesError(
      `${file}: cannot read the templates file: ${(e as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserTemplatesError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  return parseUserTemplates(file, json);
}

export function parseUserTemplates(file: string, json: unknown): UserTemplates {
  if (!isPlainObject(json))
    throw new UserTemplatesError(`${file}: the top level must be an object keyed by task type`);
  const result: UserTemplates = {};
  for (const [taskType, value] of Object.entries(json)) {
    if (!isTaskType(taskType)) {
      throw new UserTemplatesError(
        `${file}: "${taskType}" is not a task type (expected one of ${TASK_TYPES.join(', ')})`,
      );
    }
    if (!isPlainObject(value))
      throw new UserTemplatesError(
        `${file}: "${taskType}" must be an object with "parts", or "system" and/or "answerCue"`,
      );
    const template: UserTemplate = {};
    for (const [field, fieldValue] of Object.entries(value)) {
      if (field === 'parts') {
        template.parts = parsePromptPartList(
          fieldValue,
          taskType,
          (m) => new UserTemplatesError(`${file}: "${taskType}.parts": ${m}`),
        );
        continue;
      }
      if (field !== 'system' && field !== 'answerCue') {
        throw new UserTemplatesError(
          `${file}: "${taskType}.${field}" is not a template field (expected "parts", "system" or "answerCue")`,
        );
      }
      if (typeof fieldValue !== 'string')
        throw new UserTemplatesError(`${file}: "${taskType}.${field}" must be a string`);
      template[field] = fieldValue;
    }
    if (
      template.parts !== undefined &&
      (template.system !== undefined || template.answerCue !== undefined)
    )
      throw new UserTemplatesError(
        `${file}: "${taskType}" has both "parts" (the paper's texts) and its own "system"/"answerCue"; use one or the other`,
      );
    result[taskType] = template;
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A list of prompt parts for one task type, from JSON ([1, 2]) or text ("1,2"); every part must
 * exist for the task type (multiple choice has no Prompt3, NER has no parts).
 */
export function parsePromptPartList(
  value: unknown,
  taskType: TaskType,
  error: (message: string) => Error,
): PromptPart[] {
  const items =
    typeof value === 'string'
      ? value
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== '')
          .map(Number)
      : value;
  if (!Array.isArray(items)) throw error('must be a list of part numbers, e.g. [1, 2]');
  const available = AVAILABLE_PARTS[taskType];
  const parts = new Set<PromptPart>();
  for (const item of items) {
    if (!available.includes(item as PromptPart))
      throw error(
        `${JSON.stringify(item)} is not a prompt part of ${taskType} (${available.length > 0 ? `available: ${available.join(', ')}` : 'it has none'})`,
      );
    parts.add(item as PromptPart);
  }
  return [...parts].sort();
}

/** Short names accepted for task types in --prompt-parts. */
const TASK_TYPE_ALIASES: Readonly<Record<string, TaskType>> = {
  mcq: 'multiple-choice',
  ner: 'named_entity_recognition',
};

/**
 * Parses --prompt-parts: "mcq=1,2;retrieval=1,2,3;ranking=" (task types not named keep `base`),
 * "paper" (Prompt1 + Prompt2) or "none" (every part off).
 */
export function parsePromptParts(
  text: string,
  base: Readonly<PromptParts>,
  error: (message: string) => Error,
): PromptParts {
  const trimmed = text.trim();
  if (trimmed === 'paper') return clonePromptParts(PAPER_PROMPT_PARTS);
  if (trimmed === 'none') return clonePromptParts(NO_PROMPT_PARTS);
  const result = clonePromptParts(base);
  for (const entry of trimmed
    .split(';')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const eq = entry.indexOf('=');
    if (eq < 0) throw error(`"${entry}" is not TASKTYPE=PARTS (e.g. retrieval=1,2,3)`);
    const name = entry.slice(0, eq).trim();
    const taskType = TASK_TYPE_ALIASES[name] ?? name;
    if (!isTaskType(taskType))
      throw error(
        `"${name}" is not a task type (expected mcq, ${TASK_TYPES.filter((t) => t !== 'multiple-choice').join(', ')})`,
      );
    result[taskType] = parsePromptPartList(entry.slice(eq + 1), taskType, (m) =>
      error(`${name}: ${m}`),
    );
  }
  return result;
}

export function clonePromptParts(parts: Readonly<PromptParts>): PromptParts {
  return Object.fromEntries(TASK_TYPES.map((t) => [t, [...parts[t]]])) as PromptParts;
}

/** "mcq=1,2 retrieval=1,2 generation=1,2 ranking=1,2 ner=-": the parts in one line. */
export function describePromptParts(parts: Readonly<PromptParts>): string {
  const short = (t: TaskType): string =>
    t === 'multiple-choice' ? 'mcq' : t === 'named_entity_recognition' ? 'ner' : t;
  return TASK_TYPES.map(
    (t) => `${short(t)}=${parts[t].length > 0 ? parts[t].join(',') : '-'}`,
  ).join(' ');
}
