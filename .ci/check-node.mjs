// CI runs the Node the project pins: .nvmrc, package.json "engines" and the running node agree
// on the major version (`node --test out/test/unit/` relies on Node 20's directory discovery).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const nvmrc = fs.readFileSync(path.join(root, '.nvmrc'), 'utf8').trim();
const engines = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).engines?.node;
const running = process.versions.node;
const major = (v) => /^v?(\d+)(\.x)?$/.exec(v ?? '')?.[1];
const problems = [];
if (!major(nvmrc))
  problems.push(`.nvmrc holds ${JSON.stringify(nvmrc)}, expected a major version like "20"`);
if (!major(engines))
  problems.push(`package.json engines.node is ${JSON.stringify(engines)}, expected "<major>.x"`);
if (major(nvmrc) !== major(engines))
  problems.push(`.nvmrc (${nvmrc}) and package.json engines.node (${engines}) disagree`);
if (running.split('.')[0] !== major(nvmrc))
  problems.push(`this is node ${running}, but .nvmrc pins ${nvmrc}`);
if (problems.length > 0) {
  for (const p of problems) console.error(`check-node: ${p}`);
  process.exit(1);
}
console.log(`node ${running} matches .nvmrc (${nvmrc}) and engines.node (${engines})`);
