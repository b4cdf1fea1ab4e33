// An esbuild plugin for the AWS SDK's schema modules (used by build-lambda.js, build-cli.js
// and the bench's SDK probes). Their shapes are arrays like
// `[3, n0, _DIR, 0, [...], [[() => X$, { [_xN]: _II }]]]` whose object keys are computed
// from string constants. esbuild cannot prove a computed key free of side effects (it
// could call toString), so it keeps every shape of a client: 540 KiB of client-ec2 when
// lkp calls one operation. This rewrites `[_xN]:` to `"xmlName":` where `_xN` is one of
// the module's own `const _xN = "xmlName";` lines, the same object, and the unused shapes
// drop out (client-ec2: 1 MiB -> ~30 KiB in the bundle).
import { readFile } from 'node:fs/promises';

const SCHEMA_FILE = /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/](?:.+[\\/])?schemas[\\/]schemas_\d+\.js$/;

/** Rewrites computed keys named by the module's own string constants into literal keys. */
export const literalSchemaKeys = (text) => {
  const strings = new Map();
  for (const m of text.matchAll(/^const (\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) strings.set(m[1], m[2]);
  return text.replace(/\[(\w+)\]:/g, (all, id) => (strings.has(id) ? `${strings.get(id)}:` : all));
};

export const sdkSchemaPlugin = {
  name: 'lkp-sdk-schema-keys',
  setup(build) {
    build.onLoad({ filter: SCHEMA_FILE }, async (args) => ({ contents: literalSchemaKeys(await readFile(args.path, 'utf8')), loader: 'js' }));
  },
};

/**
 * How every lkp bundle is built (the CLI, the Lambda, the bench's SDK probes and the tests
 * that check them): split ESM for Node 20, the SDK's tree-shakeable ESM builds (their CJS
 * builds do not tree-shake), a `require` for the CommonJS dependencies, and the plugin above.
 */
export const lkpBundleOptions = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  outExtension: { '.js': '.mjs' },
  banner: { js: "import { createRequire as __lkpCreateRequire } from 'node:module'; const require = __lkpCreateRequire(import.meta.url);" },
  legalComments: 'none',
  plugins: [sdkSchemaPlugin],
};
