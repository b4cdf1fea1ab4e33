// How ssh reaches an instance: `direct` (TCP to the address EC2 reports), `eice` (lkp's own
// EC2 Instance Connect Endpoint tunnel, `lkp ssh proxy --via eice` as ProxyCommand) or
// `ssm` (AWS's documented Session Manager ProxyCommand). Host verification is the same on
// every one: the tunnel only carries bytes; ssh still checks the host certificate under
// HostKeyAlias = the instance id, so a tunnel landing on another instance fails.
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../../errors.js';
import { SSM_PROXY_COMMAND } from './ssm.js';

export { TRANSPORTS, parseTransport, type Transport } from './transport.js';

/** Where an EICE tunnel goes: what `lkp ssh proxy --via eice` needs, and nothing secret. */
export interface EiceRoute {
  readonly via: 'eice';
  readonly endpointId: string;
  readonly dnsName: string;
  readonly privateIp: string;
  readonly region: string;
  readonly profile?: string;
  readonly maxTunnelSeconds: number;
}

export interface SsmRoute {
  readonly via: 'ssm';
  readonly region: string;
  readonly profile?: string;
}

export type HostRoute = EiceRoute | SsmRoute;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DNS = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/** Checks a route read from disk or built from AWS answers: every field goes into a command line. */
export const checkEiceRoute = (r: EiceRoute): EiceRoute => {
  if (!/^eice-[0-9a-f]{8,17}$/.test(r.endpointId)) throw new LkpError('AwsError', `not an endpoint id: ${JSON.stringify(r.endpointId.slice(0, 40))}`);
  if (!DNS.test(r.dnsName)) throw new LkpError('AwsError', `not a DNS name: ${JSON.stringify(r.dnsName.slice(0, 80))}`);
  if (!IPV4.test(r.privateIp)) throw new LkpError('AwsError', `not a private IPv4 address: ${JSON.stringify(r.privateIp.slice(0, 40))}`);
  if (!Number.isInteger(r.maxTunnelSeconds) || r.maxTunnelSeconds < 1 || r.maxTunnelSeconds > 3600) throw new LkpError('UsageError', 'the maximum tunnel duration must be 1..3600 seconds (EICE allows one hour)');
  return r;
};

/** The instance's private IP and its endpoint: DescribeInstances, then DescribeInstanceConnectEndpoints. */
export const resolveEiceRoute = async (o: { instanceId: string; region: string; credentials: AwsCredentialIdentity; endpointId?: string; profile?: string; maxTunnelSeconds: number }): Promise<EiceRoute> => {
  const [{ describeInstance }, { findEiceEndpoint }] = await Promise.all([import('../../aws/ec2-describe-instance.js'), import('../../aws/ec2-eice-endpoint.js')]);
  const facts = await describeInstance({ instanceId: o.instanceId, region: o.region, credentials: o.credentials });
  if (!facts) throw new LkpError('InstanceNotUsable', `instance ${o.instanceId} does not exist in ${o.region} (or these credentials cannot see it)`);
  if (facts.state !== 'running') throw new LkpError('InstanceNotUsable', `instance ${o.instanceId} is ${facts.state}; start it first (aws ec2 start-instances --instance-ids ${o.instanceId})`);
  if (!facts.privateIp) throw new LkpError('InstanceNotUsable', `instance ${o.instanceId} has no private IPv4 address for the EC2 Instance Connect Endpoint to reach`);
  const endpoint = await findEiceEndpoint({
    region: o.region,
    credentials: o.credentials,
    instanceId: o.instanceId,
    ...(facts.vpcId ? { vpcId: facts.vpcId } : {}),
    ...(facts.subnetId ? { subnetId: facts.subnetId } : {}),
    ...(o.endpointId ? { endpointId: o.endpointId } : {}),
  });
  return checkEiceRoute({ via: 'eice', endpointId: endpoint.endpointId, dnsName: endpoint.dnsName, privateIp: facts.privateIp, region: o.region, ...(o.profile ? { profile: o.profile } : {}), maxTunnelSeconds: o.maxTunnelSeconds });
};

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The ProxyCommand for a route (ssh runs it with /bin/sh after expanding %-tokens, so
 * every word is shell-quoted and a literal % doubled). `lkp` is the command that runs lkp.
 */
export const proxyCommandFor = (route: HostRoute, lkp: readonly string[], instanceId: string): string => {
  if (route.via === 'ssm') return SSM_PROXY_COMMAND;
  const r = checkEiceRoute(route);
  const words = [
    ...lkp,
    'ssh', 'proxy', '--via', 'eice', '--host', instanceId,
    '--address', r.privateIp, '--eice-id', r.endpointId, '--eice-dns', r.dnsName, '--region', r.region,
    ...(r.profile ? ['--profile', r.profile] : []),
    '--max-tunnel-duration', String(r.maxTunnelSeconds),
  ];
  const cmd = words.map(q).join(' ').replace(/%/g, '%%');
  if (/[\r\n]/.test(cmd)) throw new LkpError('UsageError', 'the lkp command path cannot hold a line break in an ssh ProxyCommand');
  return `${cmd} --port %p`;
};
