#!/usr/bin/env node
// lkp's entry point. The SDK's warning about future Node versions is about SDK releases
// lkp does not use yet (the lockfile pins them); it would only confuse operators.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../dist/cli/main.js');
await main(process.argv.slice(2));
