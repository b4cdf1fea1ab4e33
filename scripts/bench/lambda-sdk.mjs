// `npm run bench` probe: one Invoke with @aws-sdk/client-lambda in a new process, bundled
// the way lkp bundles it (esbuild, tree-shaken ESM), against a loopback stub that answers
// at once: the client's own share (import, credentials, endpoint, signing, parsing).
const t0 = performance.now();
const { LambdaClient, InvokeCommand } = await import('../../src/aws/sdk/lambda.ts'); // as lkp imports it
const t1 = performance.now();
const client = new LambdaClient({ region: process.env.AWS_REGION ?? 'us-east-1' });
const out = await client.send(new InvokeCommand({ FunctionName: 'lkp-signer', Payload: Buffer.from('{"version":1,"action":"ca-keys"}') }));
const t2 = performance.now();
const answer = JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8') || '{}');
process.stdout.write(`RESULT ${JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, sinceProcessStartMs: t2, ok: answer.ok === true })}\n`);
process.exit(0);
