/** Markdown for hovers: dataset and model text is user content and must never be read as markup. */

/** Escapes every character Markdown (and the HTML it allows) would interpret. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&]/g, '\\$&').replace(/\r?\n/g, '  \n');
}

/** Long prompts and truths are cut so the hover stays readable. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
