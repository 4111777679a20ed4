/**
 * The VS Code targets the extension is packaged for, and which native parts each one carries.
 * One table for the packager (test/package/packageVsix.ts) and the inspection test
 * (test/package/vsix.test.ts), so what is built and what is checked cannot drift apart.
 */

export type VsixTargetName =
  'linux-x64' | 'linux-arm64' | 'darwin-arm64' | 'darwin-x64' | 'win32-x64';
export type BinaryFormat = 'elf' | 'macho' | 'pe';
export type BinaryArch = 'x64' | 'arm64' | 'arm' | 'x86' | 'riscv64' | 'other';

export interface VsixTarget {
  name: VsixTargetName;
  /** process.platform / process.arch the target runs on. */
  platform: 'linux' | 'darwin' | 'win32';
  arch: 'x64' | 'arm64';
  /** The executable format every native binary in the package must have. */
  format: BinaryFormat;
  /**
   * node-llama-cpp's prebuilt packages for this target (same version as node-llama-cpp): the CPU
   * build, which on Apple silicon is the Metal build. CUDA and Vulkan builds (180-360 MB each)
   * are never packaged: see the README for the opt-in.
   */
  llamaPackages: string[];
  /**
   * onnxruntime-node's binary folder for this target (bin/napi-v6/<platform>/<arch>), or
   * undefined when onnxruntime-node ships none: the embedding model (similarity hints, the
   * sent-transformer metric) is then unavailable locally and says so.
   */
  onnxruntimeDir: string | undefined;
}

export const VSIX_TARGETS: readonly VsixTarget[] = [
  {
    name: 'linux-x64',
    platform: 'linux',
    arch: 'x64',
    format: 'elf',
    llamaPackages: ['@node-llama-cpp/linux-x64'],
    onnxruntimeDir: 'linux/x64',
  },
  {
    name: 'linux-arm64',
    platform: 'linux',
    arch: 'arm64',
    format: 'elf',
    llamaPackages: ['@node-llama-cpp/linux-arm64'],
    onnxruntimeDir: 'linux/arm64',
  },
  {
    name: 'darwin-arm64',
    platform: 'darwin',
    arch: 'arm64',
    format: 'macho',
    llamaPackages: ['@node-llama-cpp/mac-arm64-metal'],
    onnxruntimeDir: 'darwin/arm64',
  },
  {
    name: 'darwin-x64',
    platform: 'darwin',
    arch: 'x64',
    format: 'macho',
    llamaPackages: ['@node-llama-cpp/mac-x64'],
    // onnxruntime-node 1.30 ships no Intel macOS binary.
    onnxruntimeDir: undefined,
  },
  {
    name: 'win32-x64',
    platform: 'win32',
    arch: 'x64',
    format: 'pe',
    llamaPackages: ['@node-llama-cpp/win-x64'],
    onnxruntimeDir: 'win32/x64',
  },
];

export function vsixTarget(name: string): VsixTarget {
  const target = VSIX_TARGETS.find((t) => t.name === name);
  if (!target) {
    throw new Error(
      `unknown target "${name}": one of ${VSIX_TARGETS.map((t) => t.name).join(', ')}`,
    );
  }
  return target;
}

/** Where `npm run package` / `package:all` write the packages. */
export function vsixFileName(target: VsixTargetName): string {
  return `mcpo-workbench-${target}.vsix`;
}
