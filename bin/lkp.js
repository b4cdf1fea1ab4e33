#!/usr/bin/env node
// lkp's entry point: the bundled CLI (npm run build) when it is at least as new as tsc's
// output, else tsc's output (so a plain `tsc` after an edit never runs stale code).
// The SDK's warning about future Node versions is about SDK releases lkp does not use yet
// (the lockfile pins them); it would only confuse operators.
import { statSync } from 'node:fs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const mtime = (rel) => {
  try {
    return statSync(new URL(rel, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
};
const bundled = mtime('../dist/bundle/main.mjs');
const compiled = mtime('../dist/cli/main.js');
const useBundle = bundled >= 0 && bundled >= compiled;
const argv = process.argv.slice(2);
// `lkp ssh exec` with a cached certificate runs from one small file (src/cli/exec-hit.ts);
// it hands anything else back untouched.
const handled = useBundle && argv[0] === 'ssh' && argv[1] === 'exec' && mtime('../dist/bundle/exec-hit.mjs') >= bundled && (await import('../dist/bundle/exec-hit.mjs')).runCachedExec(argv);
if (!(await handled)) {
  const { main } = await import(useBundle ? '../dist/bundle/main.mjs' : '../dist/cli/main.js');
  await main(argv);
}
