#!/usr/bin/env node
// lkp's entry point: the bundled CLI (npm run build) when it is at least as new as tsc's
// output, else tsc's output (so a plain `tsc` after an edit never runs stale code).
// CommonJS (bin/package.json): node starts a CommonJS entry, and loads node's own modules
// for it, a few milliseconds sooner than an ES module, and `lkp ssh exec` with a cached
// certificate runs entirely from one CommonJS file (dist/bundle/exec-hit.cjs,
// src/cli/exec-hit.ts), which hands anything else back untouched.
// The SDK's warning about future Node versions is about SDK releases lkp does not use yet
// (the lockfile pins them); it would only confuse operators.
'use strict';
const { statSync } = require('node:fs');
const path = require('node:path');

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const mtime = (rel) => {
  try {
    return statSync(path.join(__dirname, rel)).mtimeMs;
  } catch {
    return -1;
  }
};
const argv = process.argv.slice(2);
const bundled = mtime('../dist/bundle/main.mjs');
const useBundle = bundled >= 0 && bundled >= mtime('../dist/cli/main.js');
// (Not for what is never a hit: --refresh, --dry-run, --agent, --help.)
const options = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length);
const mayHit = argv[0] === 'ssh' && argv[1] === 'exec' && !options.some((a) => /^--(refresh|dry-run|agent|help)(=|$)|^-h$/.test(a));
const tryCachedExec = async () => useBundle && mayHit && mtime('../dist/bundle/exec-hit.cjs') >= bundled && require('../dist/bundle/exec-hit.cjs').runCachedExec(argv);
void (async () => {
  if (await tryCachedExec()) return;
  const { main } = await import(useBundle ? '../dist/bundle/main.mjs' : '../dist/cli/main.js');
  await main(argv);
})();
