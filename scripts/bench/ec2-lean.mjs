// `npm run bench` probe: the same DescribeInstances through lkp's lean route
// (dist/aws/ec2-describe-instance.js: SigV4 + one HTTP request + a small XML parser).
const t0 = performance.now();
const { describeInstance } = await import('../../dist/aws/ec2-describe-instance.js');
const t1 = performance.now();
const facts = await describeInstance({
  instanceId: process.env.LKP_BENCH_INSTANCE,
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY },
});
const t2 = performance.now();
process.stdout.write(`RESULT ${JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, sinceProcessStartMs: t2, instanceId: facts?.instanceId, state: facts?.state })}\n`);
process.exit(0);
