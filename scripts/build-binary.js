#!/usr/bin/env node
// `npm run build:binary`: one self-contained `lkp` executable for hosts and golden AMIs,
// built offline with Node's single executable applications: esbuild bundles the CLI into
// build/bin/lkp.cjs, node turns it into a blob (pkg.config.json), postject injects the
// blob into a copy of this node binary. (pkg and @yao-pkg/pkg download Node builds, which
// this offline setup cannot do.)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { sdkSchemaPlugin } from './esbuild-sdk.js';

const config = JSON.parse(readFileSync('pkg.config.json', 'utf8'));
const out = path.resolve('build/bin');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ['src/cli/entry.ts'],
  outfile: config.main,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  mainFields: ['module', 'main'], // tree-shakeable ESM builds of the SDK's packages
  legalComments: 'none',
  // yargs is ESM and reads import.meta.url; in a CJS bundle point it at the bundle itself.
  // --version without a package.json lookup (src/cli/version.ts).
  define: { 'import.meta.url': '__lkpImportMetaUrl', LKP_VERSION: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
  banner: { js: "const __lkpImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [sdkSchemaPlugin], // unused SDK shapes drop out (esbuild-sdk.js)
  logLevel: 'warning',
});
execFileSync(process.execPath, ['--experimental-sea-config', 'pkg.config.json'], { stdio: ['ignore', 'ignore', 'inherit'] });
const binary = path.join(out, 'lkp');
copyFileSync(process.execPath, binary);
chmodSync(binary, 0o755);
// postject warns about ELF note sections it does not touch; show its output only on failure.
try {
  execFileSync(process.execPath, [path.resolve('node_modules/postject/dist/cli.js'), binary, 'NODE_SEA_BLOB', config.output, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { stdio: 'pipe' });
} catch (error) {
  process.stderr.write(String(error.stderr ?? error.message));
  process.exit(1);
}
console.log(`single binary: ${binary} (${(statSync(binary).size / 1048576).toFixed(0)} MiB); try: ${binary} --help`);
