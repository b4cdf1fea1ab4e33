// Loopback Secrets Manager GetSecretValue (JSON 1.1) for the CA key store: versioned secrets
// the test controls, real SigV4 check, AWS's ResourceNotFound / AccessDenied / deleted answers.
import { randomBytes, randomUUID } from 'node:crypto';
import { TEST_ACCOUNT, type CredentialRegistry, type TestIdentity } from './credentials.js';
import type { RecordedRequest } from './http.js';
import { JsonServiceError, requireString, startJsonService, type JsonCall } from './json-service.js';

// One stored version of a secret.
export interface SecretVersion {
  versionId: string;
  secretString?: string;
  secretBinary?: Buffer;
  stages: string[];
  createdDate: Date;
}

// A secret with its version history; `deleted` means scheduled for deletion.
export interface FakeSecret {
  name: string;
  arn: string;
  versions: SecretVersion[];
  deleted: boolean;
}

// Initial secrets, placement and IAM decision of the Secrets Manager fake.
export interface StartFakeSecretsOptions {
  registry: CredentialRegistry;
  /** name -> initial value (string = SecretString, Buffer = SecretBinary). */
  secrets?: Record<string, string | Buffer>;
  region?: string;
  account?: string;
  /** Return false to answer AccessDeniedException. Default: allow. */
  authorize?: (identity: TestIdentity, secretArn: string) => boolean;
  now?: () => Date;
}

// A running Secrets Manager fake and its levers.
export interface FakeSecrets {
  url: string;
  close(): Promise<void>;
  requests: RecordedRequest[];
  calls: JsonCall[];
  secrets: Map<string, FakeSecret>;
  /** Creates the secret or adds a version that becomes AWSCURRENT (the old one AWSPREVIOUS). */
  putSecret(name: string, value: string | Buffer): FakeSecret;
  /** Marks the secret scheduled for deletion: reads answer InvalidRequestException. */
  deleteSecret(name: string): void;
  failNext(n: number, code?: string, status?: number): void;
}

const SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const suffix = (): string => [...randomBytes(6)].map((b) => SUFFIX_CHARS[b % SUFFIX_CHARS.length]).join('');

// Starts the Secrets Manager fake; point AWS_ENDPOINT_URL_SECRETS_MANAGER at `url`.
export const startFakeSecrets = async (options: StartFakeSecretsOptions): Promise<FakeSecrets> => {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? TEST_ACCOUNT;
  const secrets = new Map<string, FakeSecret>();
  const now = options.now ?? (() => new Date());

  const putSecret = (name: string, value: string | Buffer): FakeSecret => {
    let secret = secrets.get(name);
    if (secret === undefined) {
      secret = { name, arn: `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${suffix()}`, versions: [], deleted: false };
      secrets.set(name, secret);
    }
    for (const v of secret.versions) v.stages = v.stages.includes('AWSCURRENT') ? ['AWSPREVIOUS'] : v.stages.filter((s) => s !== 'AWSPREVIOUS');
    secret.versions.push({
      versionId: randomUUID(),
      ...(typeof value === 'string' ? { secretString: value } : { secretBinary: Buffer.from(value) }),
      stages: ['AWSCURRENT'],
      createdDate: now(),
    });
    return secret;
  };
  for (const [name, value] of Object.entries(options.secrets ?? {})) putSecret(name, value);

  // SecretId may be the name, the full ARN, or the ARN without its random suffix.
  const find = (id: string, callerRegion: string): FakeSecret | undefined => {
    if (callerRegion !== region) return undefined;
    for (const s of secrets.values()) {
      if (id === s.name || id === s.arn || id === s.arn.slice(0, -7)) return s;
    }
    return undefined;
  };

  const service = await startJsonService({
    registry: options.registry,
    signingName: 'secretsmanager',
    targetPrefix: 'secretsmanager',
    messageField: 'Message',
    now,
    operations: {
      GetSecretValue: (input, ctx) => {
        const id = requireString(input, 'SecretId');
        const secret = find(id, ctx.region);
        // Like IAM: a caller without access learns nothing, not even whether the secret exists.
        if (options.authorize && !options.authorize(ctx.identity, secret?.arn ?? id)) {
          throw new JsonServiceError(
            'AccessDeniedException',
            `User: ${ctx.identity.arn} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${id} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
          );
        }
        if (secret === undefined) throw new JsonServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        if (secret.deleted) {
          throw new JsonServiceError('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
        }
        const versionId = typeof input.VersionId === 'string' ? input.VersionId : undefined;
        const stage = typeof input.VersionStage === 'string' ? input.VersionStage : versionId === undefined ? 'AWSCURRENT' : undefined;
        const version = secret.versions.find(
          (v) => (versionId === undefined || v.versionId === versionId) && (stage === undefined || v.stages.includes(stage)),
        );
        if (version === undefined) {
          throw new JsonServiceError(
            'ResourceNotFoundException',
            versionId !== undefined
              ? `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`
              : `Secrets Manager can't find the specified secret value for staging label: ${stage ?? ''}`,
          );
        }
        return {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: version.versionId,
          ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
          ...(version.secretBinary !== undefined ? { SecretBinary: version.secretBinary.toString('base64') } : {}),
          VersionStages: version.stages,
          CreatedDate: version.createdDate.getTime() / 1000,
        };
      },
    },
  });

  return {
    ...service,
    secrets,
    putSecret,
    deleteSecret: (name) => {
      const s = secrets.get(name);
      if (s === undefined) throw new Error(`fake Secrets Manager: no secret ${name}`);
      s.deleted = true;
    },
  };
};
