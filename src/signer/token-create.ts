// `lkp signer token create`: mint a join token after checking the policy would honour it,
// so an operator learns about a typo now, not when a host fails to boot.
import { randomUUID } from 'node:crypto';
import { LkpError } from '../errors.js';
import type { CertType } from '../ssh/key-policy.js';
import { parsePrincipals } from '../ssh/names.js';
import type { SignerConfig } from './config.js';
import { mintJoinToken } from './identity/join-token.js';
import type { JoinTokenMac } from './identity/join-token-key.js';
import { joinTokenRuleAllows } from './policy/authorize-join-token.js';
import type { JoinTokenRule } from './policy/rules.js';

export interface TokenCreateInput {
  readonly config: SignerConfig;
  /** The token key: a local file, or KMS (minting then needs kms:GenerateMac). */
  readonly key: JoinTokenMac;
  readonly certType: CertType;
  readonly principals: readonly string[];
  readonly ttlSeconds: number;
  readonly now: number;
}

/** Returns a new single-use token; throws when policy or limits would refuse it. */
export const createTokenFor = async (input: TokenCreateInput): Promise<{ token: string; id: string; expiresAt: number }> => {
  const { config } = input;
  if (!config.joinTokens) throw new LkpError('ConfigInvalid', 'this signer config has no joinTokens section');
  if (input.ttlSeconds > config.joinTokens.maxTtl) throw new LkpError('UsageError', `--ttl is longer than the configured maximum of ${config.joinTokens.maxTtl}s`);
  const principals = parsePrincipals([...input.principals]);
  if (input.certType === 'user' && !principals.every((p) => /^[^@]+@[^@]+$/.test(p))) {
    throw new LkpError('UsageError', 'user tokens name LOGIN@HOST principals, e.g. --principal ec2-user@web-1');
  }
  const rules = config.rules.filter((r): r is JoinTokenRule => r.method === 'join-token' && r.for === input.certType);
  if (!rules.some((r) => principals.every((p) => joinTokenRuleAllows(r, p)))) {
    throw new LkpError('Forbidden', `no join-token rule for ${input.certType} certificates allows ${principals.join(', ')} (names shaped like an instance id, an IP address or an EC2 DNS name need a rule that lists them without wildcards)`);
  }
  const id = randomUUID();
  const expiresAt = input.now + input.ttlSeconds;
  const token = await mintJoinToken(input.key, { v: 1, jti: id, aud: config.serverId, for: input.certType, principals, iat: input.now, exp: expiresAt });
  return { token, id, expiresAt };
};
