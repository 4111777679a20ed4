/**
 * Stands in for `sharp` in the bundled transformers.js (package.json build:cli). transformers.js
 * imports sharp at load time for image inputs; the engine only embeds text, and loading sharp's
 * native library cost about 170 ms of CPU in every process that scores or embeds.
 */
export default function sharp(): never {
  throw new Error('image inputs are not supported: MCPO Workbench embeds text only');
}
