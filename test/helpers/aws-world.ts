// Fault injection on loopback, for what moto cannot do: STS, EC2, Lambda and IAM fakes that
// share one credential registry and can throttle or fail on demand (failNext, throttle). Every
// other AWS test runs against moto (test/helpers/moto-world.ts; see test/README.md).
import { CredentialRegistry, iamUser, type TestIdentity } from '../fakes/credentials.js';
import { startFakeEc2, type FakeEc2, type InstanceInput } from '../fakes/ec2.js';
import { EC2_ONLY_TRUST, startFakeIam, type FakeIam } from '../fakes/iam.js';
import { startFakeLambda, type FakeLambda, type LambdaHandler } from '../fakes/lambda.js';
import { startFakeSts, type FakeSts } from '../fakes/sts.js';

export interface AwsWorld {
  readonly registry: CredentialRegistry;
  readonly sts: FakeSts;
  readonly ec2: FakeEc2;
  readonly lambda: FakeLambda;
  /** IAM with host roles' trust policies (lkp-host is EC2-only). */
  readonly iam: FakeIam;
  /** The signer's own AWS identity (for DescribeInstances and the authoriser call). */
  readonly signerIdentity: TestIdentity;
  /** Environment for a process that should talk to this world (the signer). */
  env(extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export const startAwsWorld = async (opts: { instances?: InstanceInput[]; functions?: Record<string, LambdaHandler>; roles?: Record<string, unknown> } = {}): Promise<AwsWorld> => {
  const registry = new CredentialRegistry();
  const signerIdentity = registry.add(iamUser('lkp-signer'));
  const sts = await startFakeSts({ registry });
  const ec2 = await startFakeEc2({ registry, instances: opts.instances ?? [] });
  const lambda = await startFakeLambda({ registry, functions: opts.functions ?? {} });
  const iam = await startFakeIam({ registry, roles: opts.roles ?? { 'lkp-host': EC2_ONLY_TRUST } });
  return {
    registry,
    sts,
    ec2,
    lambda,
    iam,
    signerIdentity,
    env: (extra = {}) => ({
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_ENDPOINT_URL_EC2: ec2.url,
      AWS_ENDPOINT_URL_LAMBDA: lambda.url,
      AWS_ENDPOINT_URL_IAM: iam.url,
      AWS_ACCESS_KEY_ID: signerIdentity.accessKeyId,
      AWS_SECRET_ACCESS_KEY: signerIdentity.secretAccessKey,
      AWS_REGION: 'us-east-1',
      ...extra,
    }),
    close: async () => {
      await Promise.all([sts.close(), ec2.close(), lambda.close(), iam.close()]);
    },
  };
};
