#!/usr/bin/env node
// Bundles the CLI into dist/bundle/ (ESM, split by command) so `lkp` starts from a few
// files instead of hundreds, with the SDK's tree-shakeable ESM builds. bin/lkp.js runs it;
// run by `npm install` (prepare) and `npm run build`. dist/ from tsc stays for the tests.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { sdkSchemaPlugin } from './esbuild-sdk.js';

rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  // sshpk and a few others are CommonJS and call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __lkpCreateRequire } from 'node:module'; const require = __lkpCreateRequire(import.meta.url);" },
  // --version without a package.json lookup (src/cli/version.ts).
  define: { LKP_VERSION: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
  // Smaller to parse on every start (the SDK chunks of a cache miss: ~6 ms); LKP_DEBUG stacks
  // show minified names.
  minify: true,
  legalComments: 'none',
  // Unused SDK shapes drop out of the bundle (see esbuild-sdk.js).
  plugins: [sdkSchemaPlugin],
  logLevel: 'warning',
});
