// The host a user certificate is for: an EC2 instance (by id or ARN) or, for hosts that
// joined with a token, the host name the token gave them. Parsed strictly because it
// becomes part of a principal.
import { LkpError } from '../errors.js';
import { parsePrincipal, type Principal } from '../ssh/names.js';

export type Target =
  | { readonly kind: 'instance'; readonly instanceId: string; readonly region?: string; readonly account?: string; readonly partition?: string }
  | { readonly kind: 'host'; readonly name: Principal };

export const INSTANCE_ID_RE = /^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const INSTANCE_ARN_RE = /^arn:(aws|aws-cn|aws-us-gov):ec2:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):instance\/(i-[0-9a-f]{8}(?:[0-9a-f]{9})?)$/;

/** Parses `i-…`, `arn:aws:ec2:REGION:ACCOUNT:instance/i-…` or a joined host's name. */
export const parseTarget = (value: unknown): Target => {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) throw new LkpError('BadRequest', 'target must be an instance id, an instance ARN or a host name');
  if (value.startsWith('arn:')) {
    const m = INSTANCE_ARN_RE.exec(value);
    if (!m) throw new LkpError('BadRequest', `target ${JSON.stringify(value.slice(0, 100))} is not an EC2 instance ARN (arn:aws:ec2:REGION:ACCOUNT:instance/i-…)`);
    return { kind: 'instance', partition: m[1] as string, region: m[2] as string, account: m[3] as string, instanceId: m[4] as string };
  }
  if (value.startsWith('i-')) {
    if (!INSTANCE_ID_RE.test(value)) throw new LkpError('BadRequest', `target ${JSON.stringify(value.slice(0, 100))} is not a valid instance id`);
    return { kind: 'instance', instanceId: value };
  }
  return { kind: 'host', name: parsePrincipal(value) };
};

/** The host id a principal is scoped to: the instance id, or the joined host's name. */
export const targetHostId = (t: Target): string => (t.kind === 'instance' ? t.instanceId : t.name);

/** Text form of a target, the way the request carried it. */
export const formatTarget = (t: Target): string =>
  t.kind === 'host' ? t.name : t.region && t.account ? `arn:${t.partition ?? 'aws'}:ec2:${t.region}:${t.account}:instance/${t.instanceId}` : t.instanceId;
