/**
 * Recognises native executables and libraries by their headers (ELF, Mach-O, PE) and reads the
 * CPU architecture they were built for. Enough of each format to tell which platform a binary
 * belongs to; nothing else.
 */
import type { BinaryArch, BinaryFormat } from './targets';

export interface NativeBinary {
  format: BinaryFormat;
  /** One entry, or several for a macOS universal ("fat") binary. */
  arches: BinaryArch[];
}

const ELF_MACHINES: Record<number, BinaryArch> = {
  0x03: 'x86',
  0x28: 'arm',
  0x3e: 'x64',
  0xb7: 'arm64',
  0xf3: 'riscv64',
};
const MACHO_CPUS: Record<number, BinaryArch> = {
  0x00000007: 'x86',
  0x01000007: 'x64',
  0x0000000c: 'arm',
  0x0100000c: 'arm64',
};
const PE_MACHINES: Record<number, BinaryArch> = {
  0x014c: 'x86',
  0x8664: 'x64',
  0xaa64: 'arm64',
  0x01c4: 'arm',
};

/** The binary's format and architecture(s), or undefined when `head` is not a native binary. */
export function readNativeBinary(head: Buffer): NativeBinary | undefined {
  if (head.length >= 20 && head.readUInt32BE(0) === 0x7f454c46) {
    const littleEndian = head[5] === 1;
    const machine = littleEndian ? head.readUInt16LE(18) : head.readUInt16BE(18);
    return { format: 'elf', arches: [ELF_MACHINES[machine] ?? 'other'] };
  }
  if (head.length >= 8) {
    const magicLE = head.readUInt32LE(0);
    // MH_MAGIC / MH_MAGIC_64, little-endian (every Mach-O Apple ships today).
    if (magicLE === 0xfeedface || magicLE === 0xfeedfacf) {
      return { format: 'macho', arches: [MACHO_CPUS[head.readUInt32LE(4)] ?? 'other'] };
    }
    // FAT_MAGIC (big-endian). Java class files share the magic; their next field (a version
    // >= 45) is far above any sane architecture count.
    if (head.readUInt32BE(0) === 0xcafebabe) {
      const count = head.readUInt32BE(4);
      if (count > 0 && count < 20 && head.length >= 8 + 20 * count) {
        const arches: BinaryArch[] = [];
        for (let i = 0; i < count; i++)
          arches.push(MACHO_CPUS[head.readUInt32BE(8 + 20 * i)] ?? 'other');
        return { format: 'macho', arches };
      }
    }
  }
  if (head.length >= 0x40 && head.readUInt16BE(0) === 0x4d5a /* MZ */) {
    const peOffset = head.readUInt32LE(0x3c);
    if (peOffset + 6 <= head.length && head.readUInt32BE(peOffset) === 0x50450000 /* PE\0\0 */) {
      return { format: 'pe', arches: [PE_MACHINES[head.readUInt16LE(peOffset + 4)] ?? 'other'] };
    }
  }
  return undefined;
}

/** File names that only ever hold native code, whatever their content turns out to be. */
export const NATIVE_FILE_NAME = /\.(node|so(\.\d+)*|dylib|dll|exe|lib|a)$/i;
