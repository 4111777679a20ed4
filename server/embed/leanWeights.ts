/**
 * Embedding models load with their weights in a separate file ("external data"), so that
 * onnxruntime reads each weight once, straight into its own tensor.
 *
 * Why: an ONNX file with its weights inline is parsed whole into a protobuf first; onnxruntime
 * then copies every weight out into a tensor, and only after that frees the protobuf. A 90 MB
 * model (all-MiniLM-L6-v2's size) took 156 MB at its peak and kept 117 MB (a session created
 * alone, then one inference); the same model with its weights moved out took 74 MB and kept
 * 74 MB, with the same outputs. With jp-bleu and the worker thread loaded, that peak decided the
 * run process's peak RSS (287-304 MB against the 300 MB target).
 *
 * The user's model folder is never changed: a mirror of it goes into the model cache, keyed by
 * the model file's path, size and modification time. Its `onnx/model.onnx` is the rewritten
 * graph and `onnx/model.onnx_data` holds the weights; every other file is a symbolic link to the
 * original. The rewrite reads the model with positional reads, so it never holds the file in
 * memory. Anything unexpected (a model it cannot parse, no symbolic links on Windows, a read-only
 * cache) leaves the model to load as it is.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Under the model cache. */
export const LEAN_WEIGHTS_FOLDER = 'lean-weights';
/** Models smaller than this load as they are: the saving would not pay for a second copy on disk. */
export const LEAN_MIN_BYTES = 16 * 1024 * 1024;
/** Bump when the rewrite changes, so older mirrors are not reused. */
const FORMAT = 1;
/** Weights smaller than this stay inline (onnxruntime's own export threshold is 1 KiB). */
const MIN_TENSOR_BYTES = 1024;
/** Offsets of the weights in the data file: page-aligned, so onnxruntime may map them. */
const ALIGN = 4096;
const MODEL_FILE = path.join('onnx', 'model.onnx');
const DATA_NAME = 'model.onnx_data';

/**
 * The folder to load the model in `folder` from: its lean mirror in `cacheDir` (made on the
 * first call), or undefined when the model should load as it is.
 */
export function leanModelFolder(
  folder: string,
  cacheDir: string,
  minBytes = LEAN_MIN_BYTES,
): string | undefined {
  if (process.platform === 'win32') return undefined; // symbolic links need privileges there
  try {
    const model = fs.realpathSync(path.join(folder, MODEL_FILE));
    const { size, mtimeMs } = fs.statSync(model);
    if (size < minBytes) return undefined;
    const key = createHash('sha256')
      .update(`${FORMAT}\0${model}\0${size}\0${mtimeMs}`)
      .digest('hex')
      .slice(0, 20);
    const mirror = path.join(cacheDir, LEAN_WEIGHTS_FOLDER, key);
    if (fs.existsSync(path.join(mirror, MODEL_FILE))) return mirror;
    return buildMirror(folder, model, mirror) ? mirror : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the mirror in a temporary folder, then renames it: a concurrent load sees all or nothing. */
function buildMirror(folder: string, model: string, mirror: string): boolean {
  const temp = `${mirror}.tmp-${process.pid}-${Date.now()}`;
  try {
    fs.mkdirSync(path.join(temp, 'onnx'), { recursive: true });
    const moved = externalize(
      model,
      path.join(temp, MODEL_FILE),
      path.join(temp, 'onnx', DATA_NAME),
    );
    if (moved === 0) return false; // nothing inline to move
    linkAllBut(path.resolve(folder), temp, new Set(['onnx']));
    linkAllBut(path.resolve(folder, 'onnx'), path.join(temp, 'onnx'), new Set(['model.onnx']));
    try {
      fs.renameSync(temp, mirror);
    } catch (err) {
      // Another process finished the same mirror first: use theirs.
      if (!fs.existsSync(path.join(mirror, MODEL_FILE))) throw err;
    }
    return true;
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

/** Symbolic links in `to` to each entry of `from`, except `skip` (and what `to` already has). */
function linkAllBut(from: string, to: string, skip: ReadonlySet<string>): void {
  for (const name of fs.readdirSync(from)) {
    if (skip.has(name) || fs.existsSync(path.join(to, name))) continue;
    fs.symlinkSync(path.join(from, name), path.join(to, name));
  }
}

// ---------------------------------------------------------------------------------------
// The rewrite: ModelProto.graph (7) -> GraphProto.initializer (5) -> TensorProto.raw_data (9)
// becomes TensorProto.external_data (13: location, offset, length) + data_location (14) = 1.
// ---------------------------------------------------------------------------------------

interface Field {
  field: number;
  wire: number;
  /** Where the field starts (its tag). */
  start: number;
  /** Where its value starts (after the length, for length-delimited fields). */
  valueStart: number;
  end: number;
}

/**
 * Writes `model` with its large inline weights moved to `dataFile`, the graph to `modelOut`;
 * returns how many weights moved.
 */
export function externalize(model: string, modelOut: string, dataFile: string): number {
  const src = fs.openSync(model, 'r');
  const data = fs.openSync(dataFile, 'w');
  let dataSize = 0;
  let moved = 0;
  try {
    const size = fs.fstatSync(src).size;
    const tensor = (f: Field): Buffer => {
      const parts: Buffer[] = [];
      let raw: Field | undefined;
      for (const t of fields(src, f.valueStart, f.end)) {
        if (t.field === 9 && t.wire === 2) raw = t;
        else if (t.field === 13 || t.field === 14) return bytes(src, f.valueStart, f.end);
        else parts.push(bytes(src, t.start, t.end));
      }
      if (raw === undefined || raw.end - raw.valueStart < MIN_TENSOR_BYTES)
        return bytes(src, f.valueStart, f.end);
      const padding = (ALIGN - (dataSize % ALIGN)) % ALIGN;
      if (padding > 0) fs.writeSync(data, Buffer.alloc(padding));
      const offset = dataSize + padding;
      const length = raw.end - raw.valueStart;
      copyRange(src, raw.valueStart, raw.end, data);
      dataSize = offset + length;
      moved++;
      for (const [key, value] of [
        ['location', DATA_NAME],
        ['offset', String(offset)],
        ['length', String(length)],
      ])
        parts.push(delimited(13, Buffer.concat([text(1, key), text(2, value)])));
      parts.push(Buffer.concat([varint(14 * 8), varint(1)]));
      return Buffer.concat(parts);
    };
    const graph = (g: Field): Buffer =>
      Buffer.concat(
        fields(src, g.valueStart, g.end).map((f) =>
          f.field === 5 && f.wire === 2 ? delimited(5, tensor(f)) : bytes(src, f.start, f.end),
        ),
      );
    const top = fields(src, 0, size).map((f) =>
      f.field === 7 && f.wire === 2 ? delimited(7, graph(f)) : bytes(src, f.start, f.end),
    );
    fs.writeFileSync(modelOut, Buffer.concat(top));
    return moved;
  } finally {
    fs.closeSync(src);
    fs.closeSync(data);
  }
}

/** The fields of the message in [start, end) of the file. */
function fields(fd: number, start: number, end: number): Field[] {
  const out: Field[] = [];
  for (let at = start; at < end;) {
    const [tag, afterTag] = readVarint(fd, at);
    const wire = tag % 8;
    let valueStart = afterTag;
    let next: number;
    if (wire === 0) next = readVarint(fd, afterTag)[1];
    else if (wire === 1) next = afterTag + 8;
    else if (wire === 5) next = afterTag + 4;
    else if (wire === 2) {
      const [length, afterLength] = readVarint(fd, afterTag);
      valueStart = afterLength;
      next = afterLength + length;
    } else throw new Error(`unsupported protobuf wire type ${wire} at byte ${at}`);
    if (next > end) throw new Error(`protobuf field at byte ${at} runs past its message`);
    out.push({ field: Math.floor(tag / 8), wire, start: at, valueStart, end: next });
    at = next;
  }
  return out;
}

function readVarint(fd: number, at: number): [value: number, next: number] {
  const buf = Buffer.alloc(10);
  const read = fs.readSync(fd, buf, 0, 10, at);
  let value = 0;
  let scale = 1;
  for (let i = 0; i < read; i++) {
    value += (buf[i] & 0x7f) * scale;
    if ((buf[i] & 0x80) === 0) return [value, at + i + 1];
    scale *= 128;
  }
  throw new Error(`bad protobuf varint at byte ${at}`);
}

function bytes(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.alloc(end - start);
  fs.readSync(fd, buf, 0, buf.length, start);
  return buf;
}

/** Copies [start, end) of `from` to the end of `to`, a megabyte at a time. */
function copyRange(from: number, start: number, end: number, to: number): void {
  const chunk = Buffer.alloc(Math.min(1 << 20, end - start));
  for (let at = start; at < end;) {
    const n = fs.readSync(from, chunk, 0, Math.min(chunk.length, end - at), at);
    if (n === 0) throw new Error('model file ended early');
    fs.writeSync(to, chunk, 0, n);
    at += n;
  }
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

function delimited(field: number, body: Buffer): Buffer {
  return Buffer.concat([varint(field * 8 + 2), varint(body.length), body]);
}

function text(field: number, value: string): Buffer {
  return delimited(field, Buffer.from(value, 'utf8'));
}
