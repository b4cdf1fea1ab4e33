#!/usr/bin/env node
// Bundles the CLI into dist/bundle/ (ESM, split by command) so `lkp` starts from a few
// files instead of hundreds, with the SDK's tree-shakeable ESM builds. bin/lkp.js runs it;
// run by `npm install` (prepare) and `npm run build`. dist/ from tsc stays for the tests.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { lkpBundleOptions } from './esbuild-sdk.js';

rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/bundle',
  ...lkpBundleOptions,
  // --version without a package.json lookup (src/cli/version.ts).
  define: { LKP_VERSION: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
  // Smaller to parse on every start (the SDK chunks of a cache miss: ~6 ms); LKP_DEBUG stacks
  // show minified names.
  minify: true,
  logLevel: 'warning',
});
