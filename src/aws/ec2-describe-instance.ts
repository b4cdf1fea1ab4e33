// ec2:DescribeInstances for one instance through @aws-sdk/client-ec2: the facts a host
// certificate is built from, and where a laptop connects. The SDK retries throttling
// (RequestLimitExceeded) with jitter and corrects clock skew.
import { LkpError } from '../errors.js';
import type { InstanceFacts } from '../signer/identity/types.js';
import { clientCache, clientConfig, sdkErrorName, sdkFailure, withProgress, type ClientOptions, type Credentials } from './sdk-options.js';

const NOT_FOUND = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);

type Ec2Module = typeof import('./sdk/ec2.js');
let loading: Promise<Ec2Module> | undefined;
const ec2Module = (): Promise<Ec2Module> => (loading ??= import('./sdk/ec2.js'));
let loaded: Ec2Module | undefined;

/** Starts loading client-ec2 without waiting: it compiles while the caller waits on the network. */
export const preloadEc2Client = (): void => {
  ec2Module().catch(() => undefined); // describeInstance reports a failed import
};
const LABEL = { operation: 'EC2 DescribeInstances', endpointEnvId: 'EC2' };
const clients = clientCache((o: ClientOptions) => withProgress(new (loaded as Ec2Module).EC2Client(clientConfig(o)), LABEL));

const nonEmpty = <K extends string>(key: K, v: string | undefined): Partial<Record<K, string>> => (v ? ({ [key]: v } as Record<K, string>) : {});

export interface DescribeOptions {
  readonly instanceId: string;
  readonly region: string;
  readonly credentials?: Credentials;
  readonly maxAttempts?: number;
  readonly retryMode?: 'standard' | 'adaptive';
  readonly timeoutMs?: number;
}

/** Describes one instance; undefined when EC2 says it does not exist. */
export const describeInstance = async (opts: DescribeOptions): Promise<InstanceFacts | undefined> => {
  loaded ??= await ec2Module();
  const client = clients(opts);
  let out;
  try {
    out = await client.send(new loaded.DescribeInstancesCommand({ InstanceIds: [opts.instanceId] }));
  } catch (error) {
    if (NOT_FOUND.has(sdkErrorName(error))) return undefined;
    throw sdkFailure(LABEL, error, `in ${opts.region}`);
  }
  for (const reservation of out.Reservations ?? []) {
    for (const instance of reservation.Instances ?? []) {
      if (instance.InstanceId !== opts.instanceId) continue;
      const az = instance.Placement?.AvailabilityZone;
      if (az && !az.startsWith(opts.region)) throw new LkpError('AwsError', 'EC2 answered for another region');
      // Tag keys are anyone-with-CreateTags input: no prototype, so `constructor` is no tag.
      const tags = Object.create(null) as Record<string, string>;
      for (const t of instance.Tags ?? []) if (t.Key !== undefined && !Object.hasOwn(tags, t.Key)) tags[t.Key] = t.Value ?? '';
      return {
        instanceId: opts.instanceId,
        account: reservation.OwnerId ?? '',
        region: opts.region,
        state: instance.State?.Name ?? 'unknown',
        tags,
        ...nonEmpty('instanceProfileArn', instance.IamInstanceProfile?.Arn),
        ...nonEmpty('privateDnsName', instance.PrivateDnsName),
        ...nonEmpty('privateIp', instance.PrivateIpAddress),
        ...nonEmpty('publicDnsName', instance.PublicDnsName),
        ...nonEmpty('publicIp', instance.PublicIpAddress),
        ...nonEmpty('vpcId', instance.VpcId),
        ...nonEmpty('subnetId', instance.SubnetId),
      };
    }
  }
  return undefined;
};
