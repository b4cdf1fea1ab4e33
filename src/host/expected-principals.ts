// What a dry run can say about the principals a host certificate will carry, without asking
// for one: the names a join token claims, or the instance's own facts from IMDS. Expected,
// not verified: the signer decides (it checks the token's MAC and asks DescribeInstances).
import { LkpError } from '../errors.js';
import type { InstanceIdentity } from './imds.js';

const unreadable = (why: string): never => {
  throw new LkpError('UsageError', `the join token cannot be read (${why}); create one with \`lkp signer token create\``);
};

/** The principals a join token names (its claims, read without the signer's key). */
export const joinTokenPrincipals = (token: string): string[] => {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== 'lkpjt1' || !/^[A-Za-z0-9_-]+$/.test(parts[1] as string)) return unreadable('not an lkp join token');
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8'));
  } catch {
    return unreadable('malformed claims');
  }
  const { for: kind, principals } = (claims ?? {}) as { for?: unknown; principals?: unknown };
  if (kind !== 'host') return unreadable(`it is for ${typeof kind === 'string' ? kind : 'unknown'} certificates, not host certificates`);
  if (!Array.isArray(principals) || !principals.every((p): p is string => typeof p === 'string')) return unreadable('malformed claims');
  return principals;
};

/** The names the signer derives from the instance that IMDS can already tell (DNS names and public addresses come from DescribeInstances). */
export const instancePrincipalsFromImds = (doc: InstanceIdentity): string[] => [doc.instanceId, ...(doc.privateIp ? [doc.privateIp] : [])];
