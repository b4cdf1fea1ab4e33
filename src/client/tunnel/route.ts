// How ssh reaches an instance: `direct` (TCP to the address EC2 reports), `eice` (lkp's own
// EC2 Instance Connect Endpoint tunnel, `lkp ssh proxy --via eice` as ProxyCommand) or
// `ssm` (AWS's documented Session Manager ProxyCommand). Host verification is the same on
// every one: the tunnel only carries bytes; ssh still checks the host certificate under
// HostKeyAlias = the instance id, so a tunnel landing on another instance fails.
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../../errors.js';
import { readObject } from '../../schema.js';
import { REGION_RE, SSM_DOCUMENT_RE } from '../config.js';
import { DEFAULT_SSM_DOCUMENT, ssmProxyCommand } from './ssm.js';

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
  /** The instance's VPC when the endpoint was found by VPC (not --eice-id): a refused tunnel looks there again. */
  readonly vpcId?: string;
}

export interface SsmRoute {
  readonly via: 'ssm';
  readonly region: string;
  readonly profile?: string;
  /** The Session document (the signer's "ssmDocument"); AWS-StartSSHSession when absent. */
  readonly document?: string;
}

export type HostRoute = EiceRoute | SsmRoute;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DNS = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const EICE_ID = /^eice-[0-9a-f]{8,17}$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
/** An AWS profile name as the client config takes it (quoted wherever it goes): no control characters. */
const PROFILE = /^[^\x00-\x1f\x7f]{1,128}$/;

/** A region from a flag, a file or a config: the client config's rule. */
export const checkRegion = (region: string, where: string): string => {
  if (!REGION_RE.test(region)) throw new LkpError('UsageError', `${where} ${JSON.stringify(region.slice(0, 40))} is not an AWS region name`);
  return region;
};

/** Checks a route read from disk or built from AWS answers: every field goes into a command line. */
export const checkEiceRoute = (r: EiceRoute): EiceRoute => {
  if (!EICE_ID.test(r.endpointId)) throw new LkpError('AwsError', `not an endpoint id: ${JSON.stringify(r.endpointId.slice(0, 40))}`);
  if (!DNS.test(r.dnsName)) throw new LkpError('AwsError', `not a DNS name: ${JSON.stringify(r.dnsName.slice(0, 80))}`);
  if (!IPV4.test(r.privateIp)) throw new LkpError('AwsError', `not a private IPv4 address: ${JSON.stringify(r.privateIp.slice(0, 40))}`);
  checkRegion(r.region, 'region');
  if (r.vpcId !== undefined && !VPC_ID.test(r.vpcId)) throw new LkpError('AwsError', `not a VPC id: ${JSON.stringify(r.vpcId.slice(0, 40))}`);
  if (!Number.isInteger(r.maxTunnelSeconds) || r.maxTunnelSeconds < 1 || r.maxTunnelSeconds > 3600) throw new LkpError('UsageError', 'the maximum tunnel duration must be 1..3600 seconds (EICE allows one hour)');
  return r;
};

const ROUTE_FIELDS = {
  direct: ['via'],
  eice: ['via', 'endpointId', 'dnsName', 'privateIp', 'region', 'profile', 'maxTunnelSeconds', 'vpcId'],
  ssm: ['via', 'region', 'profile', 'document'],
} as const;

/**
 * Parses route.json (what `lkp ssh prepare` wrote for the proxy) strictly: an allow-list of
 * fields per transport, each typed and checked, since every one reaches a command line.
 * Undefined for a direct route. ConfigInvalid, naming the file and the field, otherwise.
 */
export const parseRoute = (doc: unknown, where: string): HostRoute | undefined => {
  const all = [...new Set(Object.values(ROUTE_FIELDS).flat())];
  const via = readObject(doc, where, all, 'ConfigInvalid').oneOf('via', ['direct', 'eice', 'ssm'] as const);
  const r = readObject(doc, where, ROUTE_FIELDS[via], 'ConfigInvalid');
  if (via === 'direct') return undefined;
  const matching = (field: string, re: RegExp, what: string, opts: { optional?: boolean } = {}): string | undefined => {
    const v = opts.optional ? r.optionalString(field, { max: 256 }) : r.string(field, { max: 256 });
    if (v !== undefined && !re.test(v)) r.fail(field, `is not ${what}`);
    return v;
  };
  const region = matching('region', REGION_RE, 'an AWS region name') as string;
  const profile = matching('profile', PROFILE, 'an AWS profile name', { optional: true });
  if (via === 'ssm') {
    const document = matching('document', SSM_DOCUMENT_RE, 'an SSM document name or ARN', { optional: true });
    return { via, region, ...(profile ? { profile } : {}), ...(document ? { document } : {}) };
  }
  const vpcId = matching('vpcId', VPC_ID, 'a VPC id', { optional: true });
  return checkEiceRoute({
    via,
    endpointId: matching('endpointId', EICE_ID, 'an EC2 Instance Connect Endpoint id') as string,
    dnsName: matching('dnsName', DNS, 'a DNS name') as string,
    privateIp: matching('privateIp', IPV4, 'an IPv4 address') as string,
    region,
    ...(profile ? { profile } : {}),
    maxTunnelSeconds: r.integer('maxTunnelSeconds', { min: 1, max: 3600 }),
    ...(vpcId ? { vpcId } : {}),
  });
};

/**
 * The instance's private IP and its endpoint: DescribeInstances, then
 * DescribeInstanceConnectEndpoints; with `home`, each answer is cached for a bounded time
 * (eice-cache.ts), so a run with both cached makes no EC2 call.
 */
export const resolveEiceRoute = async (o: {
  instanceId: string;
  region: string;
  credentials: () => Promise<AwsCredentialIdentity>;
  endpointId?: string;
  profile?: string;
  maxTunnelSeconds: number;
  home?: string;
  now?: number;
}): Promise<EiceRoute> => {
  const cache = await import('./eice-cache.js');
  const now = o.now ?? Math.floor(Date.now() / 1000);
  let facts = o.home ? await cache.readCachedInstance(o.home, o.instanceId, o.region, now) : undefined;
  if (!facts) {
    const { describeInstance } = await import('../../aws/ec2-describe-instance.js');
    const described = await describeInstance({ instanceId: o.instanceId, region: o.region, credentials: await o.credentials() });
    if (!described) throw new LkpError('InstanceNotUsable', `instance ${o.instanceId} does not exist in ${o.region} (or these credentials cannot see it)`);
    if (described.state !== 'running') throw new LkpError('InstanceNotUsable', `instance ${o.instanceId} is ${described.state}; start it first (aws ec2 start-instances --instance-ids ${o.instanceId})`);
    if (!described.privateIp) throw new LkpError('InstanceNotUsable', `instance ${o.instanceId} has no private IPv4 address for the EC2 Instance Connect Endpoint to reach`);
    facts = { privateIp: described.privateIp, ...(described.vpcId ? { vpcId: described.vpcId } : {}), ...(described.subnetId ? { subnetId: described.subnetId } : {}) };
    if (o.home) await cache.writeCachedInstance(o.home, o.instanceId, o.region, facts, now);
  }
  const key = o.endpointId ?? facts.vpcId;
  let endpoint = o.home && key ? await cache.readCachedEndpoint(o.home, o.region, key, now) : undefined;
  if (!endpoint) {
    const { findEiceEndpoint } = await import('../../aws/ec2-eice-endpoint.js');
    endpoint = await findEiceEndpoint({
      region: o.region,
      credentials: await o.credentials(),
      instanceId: o.instanceId,
      ...(facts.vpcId ? { vpcId: facts.vpcId } : {}),
      ...(facts.subnetId ? { subnetId: facts.subnetId } : {}),
      ...(o.endpointId ? { endpointId: o.endpointId } : {}),
    });
    if (o.home && key) await cache.writeCachedEndpoint(o.home, o.region, key, endpoint, now);
  }
  return checkEiceRoute({
    via: 'eice',
    endpointId: endpoint.endpointId,
    dnsName: endpoint.dnsName,
    privateIp: facts.privateIp,
    region: o.region,
    ...(o.profile ? { profile: o.profile } : {}),
    maxTunnelSeconds: o.maxTunnelSeconds,
    // Found by VPC: a refused tunnel may look there again; one the user named stays named.
    ...(!o.endpointId && facts.vpcId ? { vpcId: facts.vpcId } : {}),
  });
};

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The ProxyCommand for a route (ssh runs it with /bin/sh after expanding %-tokens, so
 * every word is shell-quoted and a literal % doubled). `lkp` is the command that runs lkp.
 */
export const proxyCommandFor = (route: HostRoute, lkp: readonly string[], instanceId: string): string => {
  if (route.via === 'ssm') {
    const document = route.document ?? DEFAULT_SSM_DOCUMENT;
    // Unquoted in the documented command line: only a name or ARN without shell or ssh metacharacters.
    if (!SSM_DOCUMENT_RE.test(document)) throw new LkpError('UsageError', `${JSON.stringify(document.slice(0, 80))} is not an SSM document name or ARN`);
    return ssmProxyCommand(document);
  }
  const r = checkEiceRoute(route);
  const words = [
    ...lkp,
    'ssh', 'proxy', '--via', 'eice', '--host', instanceId,
    '--address', r.privateIp, '--eice-id', r.endpointId, '--eice-dns', r.dnsName, '--region', r.region,
    ...(r.profile ? ['--profile', r.profile] : []),
    ...(r.vpcId ? ['--vpc-id', r.vpcId] : []),
    '--max-tunnel-duration', String(r.maxTunnelSeconds),
  ];
  const cmd = words.map(q).join(' ').replace(/%/g, '%%');
  if (/[\r\n]/.test(cmd)) throw new LkpError('UsageError', 'the lkp command path cannot hold a line break in an ssh ProxyCommand');
  return `${cmd} --port %p`;
};
