#!/usr/bin/env node
// `npm run build:binary`: one self-contained `lkp` executable for hosts and golden AMIs,
// built offline with Node's single executable applications: esbuild bundles the CLI into
// build/bin/lkp-cli.cjs, V8 makes its code cache (build/bin/lkp-cli.cache, with this very
// node binary, so the binary accepts it), node turns the tiny main script
// scripts/sea-boot.cjs (build/bin/lkp.cjs) and those two assets into a blob
// (pkg.config.json), postject injects the blob into a copy of this node binary. (pkg and
// @yao-pkg/pkg download Node builds, which this offline setup cannot do.) Also writes
// build/bin/lkp.gz and the sha256 of both, for user data to download.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { build } from 'esbuild';
import { sdkSchemaPlugin } from './esbuild-sdk.js';

const config = JSON.parse(readFileSync('pkg.config.json', 'utf8'));

// A script run from V8's code cache (pkg.config.json `useCodeCache`) has no dynamic
// import() at all, not even of node's own modules: `await import('node:fs/promises')`
// becomes a require() of it here (same module object, loaded when first asked for).
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, namespace: 'builtin-by-require' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'builtin-by-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};
const out = path.resolve('build/bin');
mkdirSync(out, { recursive: true });
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
const cliFile = config.assets['cli.js'];
await build({
  entryPoints: ['src/cli/entry.ts'],
  outfile: cliFile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  mainFields: ['module', 'main'], // tree-shakeable ESM builds of the SDK's packages
  legalComments: 'none',
  // yargs is ESM and reads import.meta.url; in a CJS bundle point it at the bundle itself.
  // --version without a package.json lookup (src/cli/version.ts).
  define: { 'import.meta.url': '__lkpImportMetaUrl', LKP_VERSION: JSON.stringify(version) },
  // One function of (require, module, exports, __filename, __dirname), as scripts/sea-boot.cjs runs it.
  banner: { js: "(function (require, module, exports, __filename, __dirname) { const __lkpImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  footer: { js: '})' },
  plugins: [sdkSchemaPlugin, builtinsByRequire], // unused SDK shapes drop out (esbuild-sdk.js)
  logLevel: 'warning',
});
// The code cache of the CLI's eagerly compiled functions, checked by V8 against the source.
const cliSource = readFileSync(cliFile, 'utf8');
writeFileSync(config.assets['cli.cache'], new vm.Script(cliSource, { filename: 'lkp-cli.cjs' }).createCachedData());
writeFileSync(config.main, readFileSync('scripts/sea-boot.cjs', 'utf8').replace('__LKP_VERSION__', JSON.stringify(version)));
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
// Most of the binary is node itself, which compresses well: user data can fetch lkp.gz.
const raw = readFileSync(binary);
const gz = gzipSync(raw);
writeFileSync(`${binary}.gz`, gz);
const sha = (b) => createHash('sha256').update(b).digest('hex');
writeFileSync(`${binary}.sha256`, `${sha(raw)}  lkp\n${sha(gz)}  lkp.gz\n`);
const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
console.log(`single binary: ${binary} (${mib(raw.length)}; ${binary}.gz ${mib(gz.length)}; sha256 in ${binary}.sha256); try: ${binary} --help`);
