#!/usr/bin/env node
// `npm run pack:npm`: the npm tarball people install (`npm install -g ./lkp-VERSION.tgz`),
// packed from a staging folder whose package.json holds only what an installed lkp needs:
// no scripts (npm 11 flags a package's `prepare` at install time, and allowing it would
// run a build that only works in a clone) and no dependencies (the bundle in dist/bundle/
// carries them all, so the install needs no registry). Run `npm run build` first (the npm
// script does). Usage: node scripts/pack-npm.js [--dest DIR]  (default build/)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const at = process.argv.indexOf('--dest');
const dest = path.resolve(at > 0 ? process.argv[at + 1] : 'build');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
if (!existsSync('dist/bundle/main.mjs')) {
  console.error('pack-npm: dist/bundle/main.mjs is missing; run npm run build first');
  process.exit(1);
}
const stage = path.join(dest, 'npm-stage');
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
for (const entry of pkg.files) cpSync(entry, path.join(stage, entry), { recursive: true });
const { name, version, description, type, license, bin, files, engines } = pkg;
writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify({ name, version, description, type, license, bin, files, engines }, null, 2)}\n`);
try {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dest], { cwd: stage, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const [packed] = JSON.parse(out);
  process.stdout.write(process.argv.includes('--json') ? out : `${path.join(dest, packed.filename)} (${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} KiB)\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
