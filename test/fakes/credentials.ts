// Known test identities shared by all fakes: STS answers who a key is, every signed fake
// verifies signatures against the same secrets, IMDS registers the role credentials it hands out.
import { createHash, randomBytes } from 'node:crypto';

// The account every helper defaults to (AWS's documentation account).
export const TEST_ACCOUNT = '111122223333';
// The instance id the IMDS fake and instanceRole default to.
export const TEST_INSTANCE_ID = 'i-0123456789abcdef0';

// One access key and the principal it stands for (what GetCallerIdentity returns).
export interface TestIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  /** Present for temporary (ASIA...) credentials; signed requests must carry it. */
  sessionToken?: string;
  /** Temporary credentials stop working after this instant (STS answers ExpiredToken). */
  expiresAt?: Date;
  arn: string;
  account: string;
  userId: string;
}

// The credential shape every SDK client accepts as `credentials`.
export interface SdkCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

// Access key id -> identity; shared by the fakes of one test so they agree on who is who.
export class CredentialRegistry {
  private readonly byKey = new Map<string, TestIdentity>();

  add(identity: TestIdentity): TestIdentity {
    this.byKey.set(identity.accessKeyId, identity);
    return identity;
  }

  get(accessKeyId: string): TestIdentity | undefined {
    return this.byKey.get(accessKeyId);
  }

  /** Revokes a key: later requests signed with it fail as an unknown key. */
  remove(accessKeyId: string): boolean {
    return this.byKey.delete(accessKeyId);
  }

  list(): TestIdentity[] {
    return [...this.byKey.values()];
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const randomId = (prefix: string, length: number): string => {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const b of bytes) out += BASE32[b % 32];
  return out;
};

// Role and user ids are stable per (account, name), like AWS's AROA/AIDA unique ids.
const stableId = (prefix: string, seed: string): string => {
  const digest = createHash('sha256').update(seed).digest();
  let out = prefix;
  for (let i = 0; i < 17; i++) out += BASE32[(digest[i] as number) % 32];
  return out;
};

const newSecret = (): string => randomBytes(30).toString('base64');
const newSessionToken = (): string => `IQoJb3JpZ2luX2VjE${randomBytes(96).toString('base64')}`;

// Account and credential lifetime for the identity helpers.
export interface IdentityOptions {
  account?: string;
  /** Lifetime of temporary credentials; default one hour. */
  ttlMs?: number;
}

const temporary = (options: IdentityOptions): Pick<TestIdentity, 'accessKeyId' | 'secretAccessKey' | 'sessionToken' | 'expiresAt'> => ({
  accessKeyId: randomId('ASIA', 16),
  secretAccessKey: newSecret(),
  sessionToken: newSessionToken(),
  expiresAt: new Date(Date.now() + (options.ttlMs ?? 3_600_000)),
});

// Long-term IAM user key (AKIA...): arn:aws:iam::ACCOUNT:user/NAME, no session token.
export const iamUser = (name = 'alice', options: IdentityOptions = {}): TestIdentity => {
  const account = options.account ?? TEST_ACCOUNT;
  return {
    accessKeyId: randomId('AKIA', 16),
    secretAccessKey: newSecret(),
    arn: `arn:aws:iam::${account}:user/${name}`,
    account,
    userId: stableId('AIDA', `${account}/user/${name}`),
  };
};

// Temporary credentials of an assumed role: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
export const assumedRole = (role: string, session: string, options: IdentityOptions = {}): TestIdentity => {
  const account = options.account ?? TEST_ACCOUNT;
  return {
    ...temporary(options),
    arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
    account,
    userId: `${stableId('AROA', `${account}/role/${role}`)}:${session}`,
  };
};

// Names the IAM Identity Center role (AWSReservedSSO_SET_SUFFIX).
export interface SsoRoleOptions extends IdentityOptions {
  permissionSet?: string;
  /** The random suffix IAM Identity Center appends to the role name. */
  suffix?: string;
}

// IAM Identity Center session: assumed-role/AWSReservedSSO_SET_SUFFIX/USER.
export const ssoRole = (user = 'alice@example.com', options: SsoRoleOptions = {}): TestIdentity =>
  assumedRole(`AWSReservedSSO_${options.permissionSet ?? 'Admin'}_${options.suffix ?? 'abc123'}`, user, options);

// An EC2 instance's role credentials: the session name is the instance id.
export const instanceRole = (
  instanceId = TEST_INSTANCE_ID,
  role = 'lkp-host',
  options: IdentityOptions = {},
): TestIdentity => assumedRole(role, instanceId, options);

// Converts a registered identity into what an SDK client takes as `credentials`.
export const sdkCredentials = (identity: TestIdentity): SdkCredentials => ({
  accessKeyId: identity.accessKeyId,
  secretAccessKey: identity.secretAccessKey,
  ...(identity.sessionToken !== undefined ? { sessionToken: identity.sessionToken } : {}),
});
