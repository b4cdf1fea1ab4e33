#!/usr/bin/env node
// lkp's entry point: the bundled CLI (npm run build) when present, else tsc's output.
// The SDK's warning about future Node versions is about SDK releases lkp does not use yet
// (the lockfile pins them); it would only confuse operators.
import { existsSync } from 'node:fs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const bundle = new URL('../dist/bundle/main.mjs', import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : '../dist/cli/main.js');
await main(process.argv.slice(2));
