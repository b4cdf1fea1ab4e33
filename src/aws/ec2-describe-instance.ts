// ec2:DescribeInstances for one instance, over the query protocol with the SDK's SigV4
// signer and XML parser: the facts a host certificate is built from. Measured against
// @aws-sdk/client-ec2 in `npm run bench` (its import alone costs ~0.4 s of cold start).
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../errors.js';
import type { InstanceFacts } from '../signer/identity/types.js';
import { leanCall } from './lean-call.js';
import { parseXml, xmlErrorCode, xmlItems, xmlText, type XmlObject } from './xml.js';

const NOT_FOUND = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);

const tagsOf = (instance: XmlObject): Record<string, string> => {
  // Tag keys are anyone's with ec2:CreateTags: no prototype to collide with (`__proto__`).
  const out = Object.create(null) as Record<string, string>;
  for (const t of xmlItems(instance, 'tagSet')) {
    const key = xmlText(t, 'key');
    if (key !== undefined) out[key] = xmlText(t, 'value') ?? '';
  }
  return out;
};

const nonEmpty = (v: string | undefined): string | undefined => (v ? v : undefined);

/** Describes one instance; undefined when EC2 says it does not exist. */
export const describeInstance = async (opts: { instanceId: string; region: string; credentials: AwsCredentialIdentity }): Promise<InstanceFacts | undefined> => {
  const answer = await leanCall({
    service: 'ec2',
    endpointEnvId: 'EC2',
    region: opts.region,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: `Action=DescribeInstances&Version=2016-11-15&InstanceId.1=${encodeURIComponent(opts.instanceId)}`,
    credentials: opts.credentials,
    operation: 'EC2 DescribeInstances',
  });
  let doc: XmlObject;
  try {
    doc = parseXml(answer.body);
  } catch {
    throw new LkpError('AwsError', `EC2 answered HTTP ${answer.status} with something that is not XML`);
  }
  if (answer.status !== 200) {
    const code = xmlErrorCode(doc) ?? `HTTP ${answer.status}`;
    if (NOT_FOUND.has(code)) return undefined;
    throw new LkpError('AwsError', `ec2:DescribeInstances failed in ${opts.region}: ${code}`);
  }
  for (const reservation of xmlItems(doc, 'DescribeInstancesResponse', 'reservationSet')) {
    for (const instance of xmlItems(reservation, 'instancesSet')) {
      if (xmlText(instance, 'instanceId') !== opts.instanceId) continue;
      const az = xmlText(instance, 'placement', 'availabilityZone');
      const facts: InstanceFacts = {
        instanceId: opts.instanceId,
        account: xmlText(reservation, 'ownerId') ?? '',
        region: opts.region,
        state: xmlText(instance, 'instanceState', 'name') ?? 'unknown',
        tags: tagsOf(instance),
        ...(nonEmpty(xmlText(instance, 'iamInstanceProfile', 'arn')) ? { instanceProfileArn: xmlText(instance, 'iamInstanceProfile', 'arn') } : {}),
        ...(nonEmpty(xmlText(instance, 'privateDnsName')) ? { privateDnsName: xmlText(instance, 'privateDnsName') } : {}),
        ...(nonEmpty(xmlText(instance, 'privateIpAddress')) ? { privateIp: xmlText(instance, 'privateIpAddress') } : {}),
        ...(nonEmpty(xmlText(instance, 'dnsName')) ? { publicDnsName: xmlText(instance, 'dnsName') } : {}),
        ...(nonEmpty(xmlText(instance, 'ipAddress')) ? { publicIp: xmlText(instance, 'ipAddress') } : {}),
      };
      if (az && !az.startsWith(opts.region)) throw new LkpError('AwsError', 'EC2 answered for another region');
      return facts;
    }
  }
  return undefined;
};
