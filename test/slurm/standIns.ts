/**
 * Stand-ins for the tools a pipeline's steps run (no GPU, no model download): each checks that
 * its input is there — i.e. the step before it really ran first — and writes an output folder
 * with a marker, as the real tool would write weights.
 *   node standIns.js merge-adapter merge_adapter.py merge_adapter.json   (PEFT merge)
 *   node standIns.js mergekit merge.yml OUT [--cuda]                      (mergekit-yaml)
 *   node standIns.js quantize quantize.py quantize.json                   (AutoAWQ / llm-compressor)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

function need(p: string, what: string): void {
  if (!fs.existsSync(p))
    throw new Error(`${what} ${p} does not exist: the step before did not run`);
}

function write(out: string, marker: string): void {
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'model.txt'), `${marker}\n`);
  process.stdout.write(`${marker} -> ${out}\n`);
}

function main(): void {
  const [tool, ...args] = process.argv.slice(2);
  if (tool === 'merge-adapter') {
    const p = JSON.parse(fs.readFileSync(args[1], 'utf8')) as Record<string, string>;
    need(path.join(p.adapter, 'adapter_model.txt'), 'adapter');
    write(p.output_dir, `merged ${p.adapter} into ${p.base_model} (fp16)`);
  } else if (tool === 'mergekit') {
    const models = [...fs.readFileSync(args[0], 'utf8').matchAll(/(?<!\w)model: "([^"]+)"/g)].map(
      (m) => m[1],
    );
    if (models.length !== 2) throw new Error(`expected 2 models in ${args[0]}`);
    for (const m of models) need(path.join(m, 'model.txt'), 'model');
    write(args[1], `slerp of ${models.join(' and ')}`);
  } else if (tool === 'quantize') {
    const p = JSON.parse(fs.readFileSync(args[1], 'utf8')) as {
      model: string;
      output_dir: string;
      calibration: { path: string };
    };
    need(path.join(p.model, 'model.txt'), 'model');
    need(p.calibration.path, 'calibration data');
    write(p.output_dir, `awq of ${p.model} calibrated on ${p.calibration.path}`);
  } else throw new Error(`unknown tool ${tool}`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`standIns: ${(err as Error).message}\n`);
  process.exit(2);
}
