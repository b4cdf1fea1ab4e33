// The loopback AWS of `npm run bench`, in its own process so that the fakes' work (SigV4
// checks, XML, request logs, their garbage) never lands inside a timed window of the
// bench process. Starts STS, EC2, IMDS and (when the checkout has it) IAM from the test
// fakes bundled by the bench, registers the identities the bench needs, prints one line
// `WORLD <json>` with URLs and credentials, and exits when its stdin closes.
// Usage: node world.mjs FAKES_BUNDLE.mjs   (env LKP_BENCH_WORLD: JSON options)
import { pathToFileURL } from 'node:url';

const fakes = await import(pathToFileURL(process.argv[2]).href);
const opts = JSON.parse(process.env.LKP_BENCH_WORLD ?? '{}');
const registry = new fakes.CredentialRegistry();
const creds = (id) => ({ accessKeyId: id.accessKeyId, secretAccessKey: id.secretAccessKey, ...(id.sessionToken ? { sessionToken: id.sessionToken } : {}), arn: id.arn });

const signer = registry.add(fakes.iamUser('lkp-signer'));
const host = registry.add(fakes.instanceRole(opts.hostId, 'lkp-host'));
const person = registry.add(fakes.ssoRole('alice@example.com'));
const sts = await fakes.startFakeSts({ registry });
const ec2 = await fakes.startFakeEc2({ registry, instances: opts.instances ?? [] });
const imds = await fakes.startFakeImds({ registry, instanceId: opts.hostId, privateIp: '127.0.0.1' });
const iam = fakes.startFakeIam ? await fakes.startFakeIam({ registry, roles: { 'lkp-host': fakes.EC2_ONLY_TRUST } }) : undefined;

process.stdout.write(
  `WORLD ${JSON.stringify({
    sts: sts.url,
    ec2: ec2.url,
    imds: imds.url,
    ...(iam ? { iam: iam.url } : {}),
    signer: creds(signer),
    host: creds(host),
    person: creds(person),
    account: fakes.TEST_ACCOUNT,
    instanceId: fakes.TEST_INSTANCE_ID,
  })}\n`,
);

const close = async () => {
  await Promise.allSettled([sts.close(), ec2.close(), imds.close(), iam?.close()]);
  process.exit(0);
};
process.stdin.on('end', close);
process.stdin.on('close', close);
process.stdin.resume();
process.on('SIGTERM', close);
