// ec2:DescribeInstanceConnectEndpoints: which EC2 Instance Connect Endpoint reaches an
// instance. Like the AWS CLI's `ec2-instance-connect open-tunnel`
// (awscli/customizations/ec2instanceconnect/eicefetcher.py): an endpoint in the instance's
// VPC, the one in its subnet first; or the one the user named.
import { LkpError } from '../errors.js';
import { clientCache, clientConfig, sdkErrorName, sdkFailure, withProgress, type ClientOptions, type Credentials } from './sdk-options.js';

type EiceModule = typeof import('./sdk/ec2-eice.js');
let loaded: EiceModule | undefined;
const LABEL = { operation: 'EC2 DescribeInstanceConnectEndpoints', endpointEnvId: 'EC2' };
const clients = clientCache((o: ClientOptions) => withProgress(new (loaded as EiceModule).EC2Client(clientConfig(o)), LABEL));

export interface EiceEndpoint {
  readonly endpointId: string;
  readonly dnsName: string;
  readonly vpcId?: string;
  readonly subnetId?: string;
}

export const EICE_ID_RE = /^eice-[0-9a-f]{8,17}$/;

/** The endpoint to use, among what DescribeInstanceConnectEndpoints listed (pure). */
export const chooseEndpoint = (
  listed: ReadonlyArray<{ InstanceConnectEndpointId?: string; DnsName?: string; FipsDnsName?: string; State?: string; VpcId?: string; SubnetId?: string }>,
  want: { vpcId?: string; subnetId?: string; endpointId?: string; fips?: boolean },
): EiceEndpoint | undefined => {
  const usable = listed.filter(
    (e) =>
      e.State === 'create-complete' &&
      e.InstanceConnectEndpointId &&
      (want.fips ? e.FipsDnsName : e.DnsName) &&
      (want.endpointId ? e.InstanceConnectEndpointId === want.endpointId : e.VpcId === want.vpcId),
  );
  const pick = usable.find((e) => want.subnetId !== undefined && e.SubnetId === want.subnetId) ?? usable[0];
  if (!pick) return undefined;
  return {
    endpointId: pick.InstanceConnectEndpointId as string,
    dnsName: (want.fips ? pick.FipsDnsName : pick.DnsName) as string,
    ...(pick.VpcId ? { vpcId: pick.VpcId } : {}),
    ...(pick.SubnetId ? { subnetId: pick.SubnetId } : {}),
  };
};

export interface FindEndpointOptions {
  readonly region: string;
  readonly credentials?: Credentials;
  readonly instanceId: string;
  readonly vpcId?: string;
  readonly subnetId?: string;
  /** --eice-id: this endpoint, whatever VPC the instance is in. */
  readonly endpointId?: string;
}

/** Finds the endpoint (state create-complete); EiceNotFound when there is none. */
export const findEiceEndpoint = async (o: FindEndpointOptions): Promise<EiceEndpoint> => {
  if (o.endpointId !== undefined && !EICE_ID_RE.test(o.endpointId)) throw new LkpError('UsageError', `--eice-id ${JSON.stringify(o.endpointId.slice(0, 40))} is not an endpoint id (eice-…)`);
  if (o.endpointId === undefined && o.vpcId === undefined) throw new LkpError('InstanceNotUsable', `instance ${o.instanceId} is in no VPC, so no EC2 Instance Connect Endpoint can reach it`);
  loaded ??= await import('./sdk/ec2-eice.js');
  const client = clients(o);
  const fips = /^(1|true)$/i.test(process.env.AWS_USE_FIPS_ENDPOINT ?? '');
  const filters = [{ Name: 'state', Values: ['create-complete'] }, ...(o.endpointId ? [] : [{ Name: 'vpc-id', Values: [o.vpcId as string] }])];
  const listed = [];
  let token: string | undefined;
  try {
    do {
      const out = await client.send(
        new loaded.DescribeInstanceConnectEndpointsCommand({ Filters: filters, ...(o.endpointId ? { InstanceConnectEndpointIds: [o.endpointId] } : { MaxResults: 50 }), ...(token ? { NextToken: token } : {}) }),
      );
      listed.push(...(out.InstanceConnectEndpoints ?? []));
      token = out.NextToken;
    } while (token && listed.length < 1000);
  } catch (error) {
    if (o.endpointId && /NotFound|Malformed/.test(sdkErrorName(error))) throw new LkpError('EiceNotFound', `there is no EC2 Instance Connect Endpoint ${o.endpointId} in ${o.region}`, { cause: error });
    throw sdkFailure(LABEL, error, `in ${o.region}`);
  }
  const found = chooseEndpoint(listed, { ...o, fips });
  if (found) return found;
  if (o.endpointId) throw new LkpError('EiceNotFound', `EC2 Instance Connect Endpoint ${o.endpointId} is not in ${o.region}, or not ready (state create-complete)${fips ? ' or has no FIPS DNS name' : ''}`);
  throw new LkpError(
    'EiceNotFound',
    `there is no EC2 Instance Connect Endpoint in ${o.vpcId} (the VPC of ${o.instanceId}, ${o.region}) in state create-complete; create one (aws ec2 create-instance-connect-endpoint --subnet-id ${o.subnetId ?? 'SUBNET'}, or the deploy template's EiceSubnetId) or name one with --eice-id`,
  );
};
