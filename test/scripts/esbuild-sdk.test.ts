// The SDK clients as lkp bundles them: imported through src/aws/sdk/* (only the names lkp
// calls) and built with scripts/esbuild-sdk.js (literal schema keys), a client keeps the
// operations lkp uses and drops the rest. Without both, esbuild kept every shape of
// client-ec2 (1 MiB): the Lambda bundle went over its 2 MB budget and a cold start that
// describes an instance spent ~150 ms compiling shapes it never used.
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { literalSchemaKeys, lkpBundleOptions } from '../../scripts/esbuild-sdk.js';

// As scripts/build-lambda.js builds (in memory here: that script owns build/lambda).
const OPTIONS: BuildOptions = { ...lkpBundleOptions, minify: true, write: false, metafile: true, outdir: 'out', logLevel: 'silent' };

const bundle = async (entry: string) => {
  const result = await build({ ...OPTIONS, entryPoints: { index: entry } });
  return { files: result.outputFiles ?? [], metafile: result.metafile as Metafile };
};

describe('SDK clients in the bundles', () => {
  it('ok/a computed key named by one of the module’s string constants becomes that string; others stay', () => {
    const text = ['const _xN = "xmlName";', 'const _q = "a\\"b";', 'export var A$ = [3, n0, _A, 0, [_x], [[() => B$, { [_xN]: _II, [_q]: 1, [other]: 2 }]]];'].join('\n');
    expect(literalSchemaKeys(text)).toBe(['const _xN = "xmlName";', 'const _q = "a\\"b";', 'export var A$ = [3, n0, _A, 0, [_x], [[() => B$, { "xmlName": _II, "a\\"b": 1, [other]: 2 }]]];'].join('\n'));
  });

  it('ok/client-ec2 keeps DescribeInstances and drops the operations lkp never calls', async () => {
    const { files } = await bundle('src/aws/sdk/ec2.ts');
    const text = files.map((f) => f.text).join('\n');
    // Booleans, not toContain: a failure would print the whole bundle.
    expect(text.includes('DescribeInstances')).toBe(true);
    expect(['WithdrawByoipCidr', 'CreateTransitGateway', 'ModifyVerifiedAccess'].filter((name) => text.includes(name))).toEqual([]);
    const ec2Bytes = files.filter((f) => /[\\/]index\.mjs$/.test(f.path)).reduce((n, f) => n + f.contents.length, 0);
    expect(ec2Bytes).toBeLessThan(100 * 1024); // the client's own chunk (the shared SDK core is apart)
  });

  it('ok/the Lambda bundle fits its 2 MB budget, and its entry chunk loads no SDK code', async () => {
    const { files, metafile } = await bundle('src/signer/lambda.ts');
    expect(files.reduce((n, f) => n + f.contents.length, 0)).toBeLessThan(2 * 1024 * 1024);
    // Everything the entry chunk imports statically, transitively: lkp's own code only,
    // so a cold `ca-keys` answer compiles no AWS client.
    const entry = Object.keys(metafile.outputs).find((o) => metafile.outputs[o]?.entryPoint === 'src/signer/lambda.ts') as string;
    const seen = new Set<string>();
    const walk = (out: string): void => {
      if (seen.has(out)) return;
      seen.add(out);
      for (const i of metafile.outputs[out]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) walk(i.path);
    };
    walk(entry);
    const inputs = [...seen].flatMap((o) => Object.keys(metafile.outputs[o]?.inputs ?? {}));
    expect(inputs.length).toBeGreaterThan(0);
    expect(inputs.filter((i) => /node_modules[\\/]@(aws-sdk|smithy)[\\/]/.test(i))).toEqual([]);
  });
});
