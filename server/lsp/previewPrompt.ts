/** "Show prompt": the templated prompt of one row, assembled without any model call. */
import { checkRowText } from '../dataset/load';
import { splitRowTexts } from '../dataset/rowTexts';
import { assemblePrompt } from '../pipeline/assemble';
import { applyTemplate, loadUserTemplates } from '../pipeline/templates';
import type { AssembledPrompt } from '../pipeline/types';
import { UserError } from '../userError';

export async function previewPrompt(
  uri: string,
  text: string,
  rowIndex: number,
  templates: string,
): Promise<AssembledPrompt> {
  const rows = splitRowTexts(uri, text);
  const raw = rows[rowIndex];
  if (!raw)
    throw new UserError(`row ${rowIndex + 1} does not exist: the dataset has ${rows.length} rows`);
  const { row, problems } = checkRowText(uri, raw);
  if (!row)
    throw new UserError(
      `row ${rowIndex + 1} is not a valid ShopBench row: ${problems.find((p) => p.severity === 'error')?.message ?? 'see the Problems view'}`,
    );
  const preset =
    templates === '' || templates === 'paper'
      ? 'paper'
      : templates === 'none'
        ? 'none'
        : await loadUserTemplates(templates);
  return assemblePrompt({ row: row.row, templated: applyTemplate(preset, row.row) });
}
