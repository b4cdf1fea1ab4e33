// The single binary's main script (Node SEA, scripts/build-binary.js). It stays tiny: V8
// parses a SEA's main script on every start, and the whole CLI is 2+ MB. `lkp --version`
// answers from here; anything else compiles the CLI (SEA asset `cli.js`) with the V8 code
// cache made at build time (asset `cli.cache`; a cache V8 rejects only costs a full parse).
'use strict';
const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === '--version') {
  process.stdout.write(`${__LKP_VERSION__}\n`);
} else {
  const sea = require('node:sea');
  const vm = require('node:vm');
  const script = new vm.Script(sea.getAsset('cli.js', 'utf8'), { filename: 'lkp-cli.cjs', cachedData: Buffer.from(sea.getAsset('cli.cache')) });
  if (script.cachedDataRejected && process.env.LKP_DEBUG) process.stderr.write('lkp: the code cache was rejected (a different node build?)\n');
  // The CLI bundle is CommonJS that requires only node's own modules: the SEA's require serves it.
  script.runInThisContext()(require, module, exports, process.execPath, require('node:path').dirname(process.execPath));
}
