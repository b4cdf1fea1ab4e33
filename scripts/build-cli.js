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
// `lkp ssh exec` with a cached certificate (src/cli/exec-hit.ts), as ONE CommonJS file:
// every ES module node resolves costs about a millisecond (the split bundle's exec path
// holds ~30), and node's own modules load sooner through require. It must stay free of
// what only a miss needs: the build fails if any of it slips in.
const { banner: _esmRequire, outExtension: _mjs, ...hitOptions } = lkpBundleOptions;
const hit = await build({
  entryPoints: { 'exec-hit': 'src/cli/exec-hit.ts' },
  outdir: 'dist/bundle',
  ...hitOptions,
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  splitting: false,
  minify: !process.env.LKP_NO_MINIFY, // LKP_NO_MINIFY=1: readable names in a --cpu-prof
  metafile: true,
  logLevel: 'warning',
});
const heavy = Object.keys(hit.metafile.inputs).filter((f) => /node_modules|src\/aws\/|yargs|request-user-cert|signer-chain|credentials/.test(f));
if (heavy.length > 0) {
  console.error(`build-cli: the cache-hit bundle pulled in miss-only code: ${heavy.slice(0, 5).join(', ')}`);
  process.exit(1);
}
