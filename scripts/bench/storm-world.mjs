// The loopback AWS of the bench's boot storm, in its own process (its SigV4 checks and XML
// stay off the signer's CPU budget): STS, IAM and an EC2 fake that throttles non-mutating
// calls with EC2's token bucket, N instances with N instance-role identities. Prints
// `WORLD <json>`; on each stdin line `STATS` prints `STATS <json>` (DescribeInstances calls,
// throttled ones, per instance); exits when stdin closes.
// Usage: node storm-world.mjs FAKES_BUNDLE.mjs   (env LKP_BENCH_STORM: JSON options)
import { pathToFileURL } from 'node:url';

const fakes = await import(pathToFileURL(process.argv[2]).href);
const opts = JSON.parse(process.env.LKP_BENCH_STORM ?? '{}');
const registry = new fakes.CredentialRegistry();
const creds = (id) => ({ accessKeyId: id.accessKeyId, secretAccessKey: id.secretAccessKey, ...(id.sessionToken ? { sessionToken: id.sessionToken } : {}) });

const signer = registry.add(fakes.iamUser('lkp-signer'));
const profile = { arn: `arn:aws:iam::${fakes.TEST_ACCOUNT}:instance-profile/lkp-host`, id: 'AIPASTORM' };
const hosts = [];
const instances = [];
for (let i = 0; i < opts.hosts; i += 1) {
  const instanceId = `i-${(0x5000000 + i).toString(16).padStart(17, '0')}`;
  hosts.push({ instanceId, ...creds(registry.add(fakes.instanceRole(instanceId, 'lkp-host'))) });
  instances.push({ instanceId, privateIpAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, iamInstanceProfile: profile });
}
const sts = await fakes.startFakeSts({ registry });
const ec2 = await fakes.startFakeEc2({ registry, instances, throttle: opts.throttle });
const iam = fakes.startFakeIam ? await fakes.startFakeIam({ registry, roles: { 'lkp-host': fakes.EC2_ONLY_TRUST } }) : undefined;

process.stdout.write(`WORLD ${JSON.stringify({ sts: sts.url, ec2: ec2.url, ...(iam ? { iam: iam.url } : {}), signer: creds(signer), hosts, account: fakes.TEST_ACCOUNT })}\n`);

const stats = () => {
  const describe = ec2.calls.filter((c) => c.action === 'DescribeInstances');
  const perInstance = {};
  for (const c of describe) for (const id of c.instanceIds) perInstance[id] = (perInstance[id] ?? 0) + 1;
  return { describe: describe.length, throttled: describe.filter((c) => c.errorCode === 'RequestLimitExceeded').length, otherErrors: describe.filter((c) => c.errorCode && c.errorCode !== 'RequestLimitExceeded').length, perInstance: Object.values(perInstance) };
};
let input = '';
process.stdin.on('data', (d) => {
  input += d.toString();
  let nl;
  while ((nl = input.indexOf('\n')) >= 0) {
    const line = input.slice(0, nl).trim();
    input = input.slice(nl + 1);
    if (line === 'STATS') process.stdout.write(`STATS ${JSON.stringify(stats())}\n`);
  }
});
const close = async () => {
  await Promise.allSettled([sts.close(), ec2.close(), iam?.close()]);
  process.exit(0);
};
process.stdin.on('end', close);
process.stdin.on('close', close);
process.on('SIGTERM', close);
