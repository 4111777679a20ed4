import * as fs from 'node:fs';
import { fixturePath } from './paths';

/** One reference value from the official ShopBench scorer (see test/fixtures/parity/README.md). */
export interface ParityVector {
  id: string;
  kind: 'metric' | 'parser';
  name: string;
  inputs: Record<string, unknown>;
  expected: unknown;
  expected_type: string;
  expected_repr: string;
  expected_float64?: number | string;
  official: string;
  note: string;
  source?: string;
  debug?: Record<string, unknown>;
  raises?: string;
  raises_message?: string;
}

let cache: ParityVector[] | undefined;

export function loadParityVectors(): ParityVector[] {
  cache ??= JSON.parse(
    fs.readFileSync(fixturePath('parity', 'dev_vectors.json'), 'utf8'),
  ) as ParityVector[];
  return cache;
}

export function vectorsNamed(kind: ParityVector['kind'], name: string): ParityVector[] {
  return loadParityVectors().filter((v) => v.kind === kind && v.name === name);
}

/** "NaN" is how the vectors spell NaN. */
export function expectedNumber(v: unknown): number {
  if (v === 'NaN') return Number.NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number') throw new Error(`expected a number, got ${JSON.stringify(v)}`);
  return v;
}

/** |a - b| within rel * max(|a|, |b|, tiny): the README's "about 1e-12 relative". */
export function closeRelative(a: number, b: number, rel: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300);
}
