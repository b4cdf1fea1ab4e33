// `npm run bench` probe: one DescribeInstances with @aws-sdk/client-ec2 in a new process,
// bundled the way lkp bundles it (esbuild, tree-shaken ESM, through src/aws/sdk/ec2.ts)
// (credentials and endpoint from the environment the bench sets: loopback fakes only).
const t0 = performance.now();
const { EC2Client, DescribeInstancesCommand } = await import('../../src/aws/sdk/ec2.ts'); // as lkp imports it
const t1 = performance.now();
const client = new EC2Client({ region: process.env.AWS_REGION ?? 'us-east-1' });
const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [process.env.LKP_BENCH_INSTANCE] }));
const t2 = performance.now();
const instance = out.Reservations?.[0]?.Instances?.[0];
process.stdout.write(`RESULT ${JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, sinceProcessStartMs: t2, instanceId: instance?.InstanceId, state: instance?.State?.Name })}\n`);
process.exit(0);
