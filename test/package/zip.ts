/**
 * Reads a .vsix (a zip file) without a dependency: the central directory lists the entries, and
 * each entry is stored or deflated. Zip64 is not handled: vsce writes it only past 65,535 entries
 * or 4 GB, far above a package's limits, and such a file is refused with a clear error.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

export interface ZipEntry {
  name: string;
  compressedSize: number;
  size: number;
  /** The entry's uncompressed bytes. */
  read(): Buffer;
}

export function readZip(file: string): ZipEntry[] {
  const zip = fs.readFileSync(file);
  const eocd = findEndOfCentralDirectory(zip, file);
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || offset === 0xffffffff) throw new Error(`${file}: zip64 is not supported`);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50)
      throw new Error(`${file}: central directory entry ${i} is damaged`);
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    entries.push({
      name,
      compressedSize,
      size,
      read: () => {
        if (zip.readUInt32LE(localHeader) !== 0x04034b50)
          throw new Error(`${file}: local header of ${name} is damaged`);
        const start =
          localHeader +
          30 +
          zip.readUInt16LE(localHeader + 26) +
          zip.readUInt16LE(localHeader + 28);
        const data = zip.subarray(start, start + compressedSize);
        if (method === 0) return Buffer.from(data);
        if (method === 8) return zlib.inflateRawSync(data);
        throw new Error(`${file}: ${name} uses compression method ${method}`);
      },
    });
  }
  return entries;
}

function findEndOfCentralDirectory(zip: Buffer, file: string): number {
  // The record is 22 bytes plus a comment of at most 65,535 bytes at the very end.
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) return i;
  }
  throw new Error(`${file} is not a zip file (no end of central directory record)`);
}
