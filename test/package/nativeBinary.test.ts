/** The header reader the .vsix inspection relies on, on hand-made headers of each format. */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { readNativeBinary } from './nativeBinary';

function elf(machine: number): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // 64-bit
  b[5] = 1; // little-endian
  b.writeUInt16LE(machine, 18);
  return b;
}

function macho(cpu: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(0xfeedfacf, 0);
  b.writeUInt32LE(cpu, 4);
  return b;
}

function fat(cpus: number[]): Buffer {
  const b = Buffer.alloc(8 + 20 * cpus.length);
  b.writeUInt32BE(0xcafebabe, 0);
  b.writeUInt32BE(cpus.length, 4);
  cpus.forEach((cpu, i) => b.writeUInt32BE(cpu, 8 + 20 * i));
  return b;
}

function pe(machine: number): Buffer {
  const b = Buffer.alloc(0x100);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.writeUInt32BE(0x50450000, 0x80);
  b.writeUInt16LE(machine, 0x84);
  return b;
}

test('ELF: x86-64, aarch64, armv7', () => {
  assert.deepEqual(readNativeBinary(elf(0x3e)), { format: 'elf', arches: ['x64'] });
  assert.deepEqual(readNativeBinary(elf(0xb7)), { format: 'elf', arches: ['arm64'] });
  assert.deepEqual(readNativeBinary(elf(0x28)), { format: 'elf', arches: ['arm'] });
});

test('Mach-O: thin and universal', () => {
  assert.deepEqual(readNativeBinary(macho(0x0100000c)), { format: 'macho', arches: ['arm64'] });
  assert.deepEqual(readNativeBinary(macho(0x01000007)), { format: 'macho', arches: ['x64'] });
  assert.deepEqual(readNativeBinary(fat([0x01000007, 0x0100000c])), {
    format: 'macho',
    arches: ['x64', 'arm64'],
  });
});

test('PE: x64 and arm64', () => {
  assert.deepEqual(readNativeBinary(pe(0x8664)), { format: 'pe', arches: ['x64'] });
  assert.deepEqual(readNativeBinary(pe(0xaa64)), { format: 'pe', arches: ['arm64'] });
});

test('not native: text, a Java class file, a truncated header, an MZ without PE', () => {
  assert.equal(readNativeBinary(Buffer.from('module.exports = 1;\n'.repeat(4))), undefined);
  const javaClass = Buffer.alloc(16);
  javaClass.writeUInt32BE(0xcafebabe, 0);
  javaClass.writeUInt32BE(52 << 16, 4); // minor 0, major 52 read as one big number
  assert.equal(readNativeBinary(javaClass), undefined);
  assert.equal(readNativeBinary(elf(0x3e).subarray(0, 10)), undefined);
  const mzOnly = pe(0x8664);
  mzOnly.writeUInt32BE(0, 0x80);
  assert.equal(readNativeBinary(mzOnly), undefined);
});
