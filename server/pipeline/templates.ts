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

/** A user's own templates: per task type, a system text and/or a replacement for the answer cue. */
export interface UserTemplate {
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

export const MCQ_PREFIX =
  'Please think cautiously. The answers or responses are very important. You should only answer a number of options. Do not say other words or explanation.';
export const KNOWLEDGE_LINE = 'Based on your previous knowledge then generate the answer.';
export const RETRIEVAL_ROLE =
  'This is a retrieval question. You are a highly skilled online shopping assistant and a professional product retrieval expert.';
export const RANKING_ROLE =
  'You are a helpful online shopping assistant. In this task, each question is associated with a requirement and a list of candidate items, and the model is required to re-rank all items according to how each item satisfies the requirement.';
export const RANKING_ONLY_RESULTS =
  'Only respond with the ranking results. Do not say any word or explanations';
export const GENERATION_CUE = 'Response (limit to 30 words):';

/** Task11-style relation options, rewritten in words (paper section 5). */
export const RELATION_WORDING: Readonly<Record<string, string>> = {
  irrelevant: 'product1 and product2 are irrelevant',
  substitute: 'product1 and product2 are similar',
  complement: 'Users who buy product1 may also buy product2',
  narrowing: 'product2 is a further search of product1',
};

/** Generation roles, chosen by keywords of the instruction; first match wins. */
export const GENERATION_ROLES: readonly { keywords: RegExp; role: string }[] = [
  {
    keywords: /\b(description|title|titles|entitled)\b/i,
    role: 'You are a professional e-commerce marketing specialist who writes product titles and descriptions.',
  },
  {
    keywords: /\b(review|reviews)\b/i,
    role: 'You are a customer who has bought the product and writes a review of it.',
  },
  {
    keywords: /\b(recommend\w*)\b/i,
    role: 'You are a personal shopping assistant who recommends products to customers.',
  },
  {
    keywords: /\b(question|questions|Q&A|answer the)\b/i,
    role: "You are a customer service agent of an online shop who answers customers' questions.",
  },
];
export const DEFAULT_GENERATION_ROLE = 'You are a helpful e-commerce assistant.';

/**
 * The instruction a generation role is chosen from: the first non-blank line with quoted product
 * names removed, so that a title like 'Review Pack' or a pasted review does not pick the role.
 */
export function generationRole(prompt: string): string {
  const firstLine = prompt
    .trimStart()
    .split('\n', 1)[0]
    .replace(/(?<!\w)'[^\n]*?'(?!\w)/g, "''");
  return GENERATION_ROLES.find((r) => r.keywords.test(firstLine))?.role ?? DEFAULT_GENERATION_ROLE;
}

export function applyTemplate(
  preset: TemplatePreset | UserTemplates,
  row: ShopBenchRow,
): TemplatedQuestion {
  const prompt = row.input_field;
  const cue = findAnswerCue(prompt);
  const questionText = cue ? prompt.slice(0, cue.start) : prompt;
  const notes: string[] = [];
  if (preset === 'none') {
    return {
      system: [],
      question: original(questionText),
      answerCue: cueSegments(prompt, cue, undefined),
      notes,
    };
  }
  const framing =
    preset === 'paper' ? paperFraming(row, questionText) : userFraming(preset, row.task_type);
  if (framing.cue !== undefined && !cue)
    notes.push(
      'the prompt has no trailing "Answer:"/"Output:" cue; the cue template was not applied',
    );
  notes.push(...framing.notes);
  return {
    system: framing.system === undefined ? [] : [{ text: framing.system, source: 'template' }],
    question: framing.question ?? original(questionText),
    answerCue: cueSegments(prompt, cue, framing.cue),
    notes,
  };
}

interface Framing {
  system?: string;
  question?: Segment[];
  cue?: string;
  notes: string[];
}

function paperFraming(row: ShopBenchRow, questionText: string): Framing {
  switch (row.task_type) {
    case 'multiple-choice':
      return { system: `${MCQ_PREFIX}\n`, question: relationRewrite(questionText), notes: [] };
    case 'retrieval':
      return { system: `${RETRIEVAL_ROLE}\n${KNOWLEDGE_LINE}\n`, notes: [] };
    case 'ranking':
      // Put in the system text (not after the list) so that the question keeps its original shape;
      // ShopBench ranking prompts usually say it too, the paper repeats it for emphasis.
      return { system: `${RANKING_ROLE}\n${RANKING_ONLY_RESULTS}.\n`, notes: [] };
    case 'generation':
      return {
        system: `${generationRole(row.input_field)}\n${KNOWLEDGE_LINE}\n`,
        cue: GENERATION_CUE,
        notes: [],
      };
    case 'named_entity_recognition':
      // The paper has no NER template and ShopBench NER prompts already open with a role.
      return { notes: ['the paper has no NER template; the question is left as is'] };
  }
}

function userFraming(templates: UserTemplates, taskType: TaskType): Framing {
  const t = templates[taskType];
  if (!t) return { notes: [`no user template for task type ${taskType}`] };
  // A system text that does not end a line would run into the question's first word.
  const system =
    t.system === undefined || t.system === ''
      ? undefined
      : /\s$/.test(t.system)
        ? t.system
        : `${t.system}\n`;
  return { system, cue: t.answerCue, notes: [] };
}

/**
 * Rewrites task11-style options in words. Only when EVERY option is a relation word, so that a
 * lone option "complement" of some other question keeps its meaning.
 */
function relationRewrite(questionText: string): Segment[] {
  const options = findNumberedOptions(questionText);
  if (options.length === 0 || !options.every((o) => Object.hasOwn(RELATION_WORDING, o.text)))
    return original(questionText);
  const segments: Segment[] = [];
  let pos = 0;
  for (const o of options) {
    segments.push(...original(questionText.slice(pos, o.textStart)));
    segments.push({ text: RELATION_WORDING[o.text], source: 'template', replaces: o.text });
    pos = o.textEnd;
  }
  segments.push(...original(questionText.slice(pos)));
  return segments;
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
        `${file}: "${taskType}" must be an object with "system" and/or "answerCue"`,
      );
    const template: UserTemplate = {};
    for (const [field, fieldValue] of Object.entries(value)) {
      if (field !== 'system' && field !== 'answerCue') {
        throw new UserTemplatesError(
          `${file}: "${taskType}.${field}" is not a template field (expected "system" or "answerCue")`,
        );
      }
      if (typeof fieldValue !== 'string')
        throw new UserTemplatesError(`${file}: "${taskType}.${field}" must be a string`);
      template[field] = fieldValue;
    }
    result[taskType] = template;
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
