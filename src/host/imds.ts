// IMDSv2 only: a session token first (PUT), then every read carries it. Retries with
// backoff, because the metadata service can be slow right after boot; when nothing
// answers at all, the error says what to do instead.
import http from 'node:http';
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../errors.js';

const DEFAULT_ENDPOINT = 'http://169.254.169.254';
const TOKEN_TTL = '21600';

export interface ImdsOptions {
  /** Base URL; AWS_EC2_METADATA_SERVICE_ENDPOINT (the SDK's variable) or the link-local address. */
  readonly endpoint?: string;
  readonly attempts?: number;
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface InstanceIdentity {
  readonly instanceId: string;
  readonly region: string;
  readonly accountId: string;
  readonly availabilityZone: string;
  readonly privateIp?: string;
}

export interface ImdsClient {
  identity(): Promise<InstanceIdentity>;
  roleCredentials(): Promise<AwsCredentialIdentity & { expiration?: Date }>;
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

const once = (url: URL, method: 'GET' | 'PUT', headers: Record<string, string>, timeoutMs: number): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 64 * 1024) body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });

/** Creates an IMDSv2 client. */
export const imdsClient = (opts: ImdsOptions = {}): ImdsClient => {
  const base = opts.endpoint ?? process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? DEFAULT_ENDPOINT;
  const attempts = opts.attempts ?? 4;
  const timeoutMs = opts.timeoutMs ?? 1000;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let token: Promise<string> | undefined;

  const withRetry = async (what: string, fn: () => Promise<Answer>): Promise<Answer> => {
    let lastError: unknown;
    for (let i = 0; i < attempts; i += 1) {
      if (i > 0) await sleep(100 * 2 ** (i - 1));
      try {
        const answer = await fn();
        if (answer.status >= 500 || answer.status === 429) {
          lastError = new Error(`HTTP ${answer.status}`);
          continue;
        }
        return answer;
      } catch (error) {
        lastError = error;
      }
    }
    throw new LkpError('ImdsUnavailable', `the EC2 instance metadata service (${base}) did not answer ${what}: not on EC2? use --join-token for hosts outside AWS`, { cause: lastError });
  };

  const getToken = (): Promise<string> =>
    (token ??= withRetry('a token request', () => once(new URL('/latest/api/token', base), 'PUT', { 'x-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL }, timeoutMs)).then(
      (answer) => {
        if (answer.status !== 200 || !answer.body) throw new LkpError('ImdsUnavailable', `IMDSv2 refused a session token (HTTP ${answer.status}); is the hop limit too low?`);
        return answer.body.trim();
      },
      (error: unknown) => {
        token = undefined;
        throw error;
      },
    ));

  const get = async (path: string): Promise<string> => {
    for (let refresh = 0; refresh < 2; refresh += 1) {
      const t = await getToken();
      const answer = await withRetry(path, () => once(new URL(path, base), 'GET', { 'x-aws-ec2-metadata-token': t }, timeoutMs));
      if (answer.status === 401 && refresh === 0) {
        token = undefined; // expired or revoked token: get a new one once
        continue;
      }
      if (answer.status === 404) throw new LkpError('ImdsUnavailable', `instance metadata has no ${path}`);
      if (answer.status !== 200) throw new LkpError('ImdsUnavailable', `instance metadata ${path} answered HTTP ${answer.status}`);
      return answer.body;
    }
    throw new LkpError('ImdsUnavailable', `instance metadata refused the session token for ${path}`);
  };

  return {
    identity: async () => {
      let doc: Record<string, unknown>;
      try {
        doc = JSON.parse(await get('/latest/dynamic/instance-identity/document')) as Record<string, unknown>;
      } catch (error) {
        if (error instanceof LkpError) throw error;
        throw new LkpError('ImdsUnavailable', 'instance identity document is not JSON');
      }
      const str = (k: string): string => {
        const v = doc[k];
        if (typeof v !== 'string' || !v) throw new LkpError('ImdsUnavailable', `instance identity document lacks ${k}`);
        return v;
      };
      return {
        instanceId: str('instanceId'),
        region: str('region'),
        accountId: str('accountId'),
        availabilityZone: str('availabilityZone'),
        ...(typeof doc.privateIp === 'string' ? { privateIp: doc.privateIp } : {}),
      };
    },
    roleCredentials: async () => {
      const role = (await get('/latest/meta-data/iam/security-credentials/')).split('\n')[0]?.trim();
      if (!role) throw new LkpError('ImdsUnavailable', 'this instance has no instance profile; attach the lkp host role');
      const doc = JSON.parse(await get(`/latest/meta-data/iam/security-credentials/${encodeURIComponent(role)}`)) as Record<string, string>;
      if (doc.Code !== 'Success' || !doc.AccessKeyId || !doc.SecretAccessKey) throw new LkpError('ImdsUnavailable', `instance role credentials are not available (${doc.Code ?? 'unknown'})`);
      return {
        accessKeyId: doc.AccessKeyId,
        secretAccessKey: doc.SecretAccessKey,
        ...(doc.Token ? { sessionToken: doc.Token } : {}),
        ...(doc.Expiration ? { expiration: new Date(doc.Expiration) } : {}),
      };
    },
  };
};
