// Loopback IMDSv2 (token-only, IMDSv1 disabled) for `lkp host` and the SDK's instance
// credentials; the role credentials it serves are registered so the signed fakes accept them.
import { randomBytes } from 'node:crypto';
import { TEST_ACCOUNT, TEST_INSTANCE_ID, instanceRole, type CredentialRegistry, type TestIdentity } from './credentials.js';
import { sleep, startHttpServer, type FakeResponse, type RecordedRequest } from './http.js';

// The instance the IMDS fake describes; defaults match TEST_INSTANCE_ID / TEST_ACCOUNT.
export interface StartFakeImdsOptions {
  /** Where the served role credentials are registered (the loopback fakes); or... */
  registry?: CredentialRegistry;
  /** ...credentials obtained elsewhere (moto's sts:AssumeRole), served as they are. */
  roleCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiresAt?: Date };
  instanceId?: string;
  /** Default us-east-1a; the region is the zone without its letter. */
  availabilityZone?: string;
  accountId?: string;
  /** Role of the instance profile; null for an instance without one (iam/* answers 404). */
  roleName?: string | null;
  privateIp?: string;
  imageId?: string;
  instanceType?: string;
  /** Lifetime of the served role credentials; default 6 hours. */
  credentialTtlMs?: number;
  now?: () => Date;
}

// Which requests an injected failure hits.
export interface ImdsFailure {
  status?: number;
  method?: 'GET' | 'PUT';
  path?: string | RegExp;
}

// A running IMDS fake with switches for outages, latency, failures, tokens and rotation.
export interface FakeImds {
  url: string;
  close(): Promise<void>;
  requests: RecordedRequest[];
  instanceId: string;
  region: string;
  availabilityZone: string;
  accountId: string;
  roleName: string | null;
  /** Role credentials currently served (registered in the registry). */
  credentials(): TestIdentity | undefined;
  /** Serves fresh credentials (registered); the old ones stay valid unless revokeOld. */
  rotateCredentials(revokeOld?: boolean): TestIdentity;
  /** false: every request's connection is dropped without an answer. */
  setAvailable(available: boolean): void;
  /** Delay before every answer, for timeout tests. */
  setDelay(ms: number): void;
  /** The next n matching requests answer `status` (default 500). */
  failNext(n: number, failure?: ImdsFailure): void;
  /** Forgets every issued token: later GETs with them get 401. */
  revokeTokens(): void;
  tokensIssued(): number;
  setNow(now: () => Date): void;
}

const text = (status: number, body: string, headers: Record<string, string> = {}): FakeResponse => ({
  status,
  headers: { 'content-type': 'text/plain', server: 'EC2ws', ...headers },
  body,
});

const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const MAX_TTL = 21600;

// Starts the IMDS fake; point AWS_EC2_METADATA_SERVICE_ENDPOINT at `url`.
export const startFakeImds = async (options: StartFakeImdsOptions): Promise<FakeImds> => {
  const instanceId = options.instanceId ?? TEST_INSTANCE_ID;
  const availabilityZone = options.availabilityZone ?? 'us-east-1a';
  const region = availabilityZone.replace(/[a-z]$/, '');
  const accountId = options.accountId ?? TEST_ACCOUNT;
  const roleName = options.roleName === undefined ? 'lkp-host' : options.roleName;
  const privateIp = options.privateIp ?? '10.0.1.23';
  const imageId = options.imageId ?? 'ami-0abcdef1234567890';
  const instanceType = options.instanceType ?? 't3.micro';
  const ttlMs = options.credentialTtlMs ?? 6 * 3_600_000;
  const launched = new Date();
  let now = options.now ?? (() => new Date());
  let available = true;
  let delayMs = 0;
  const failures: ImdsFailure[] = [];
  const tokens = new Map<string, number>(); // token -> expiry (ms since epoch)
  let issued = 0;

  let current: TestIdentity | undefined;
  let lastUpdated = now();
  const rotate = (revokeOld = false): TestIdentity => {
    if (roleName === null) throw new Error('fake IMDS: instance has no role');
    const given = options.roleCredentials;
    if (given) {
      current = { ...instanceRole(instanceId, roleName, { account: accountId, ttlMs }), ...given };
      lastUpdated = now();
      return current;
    }
    if (!options.registry) throw new Error('fake IMDS: give a registry or roleCredentials');
    if (revokeOld && current) options.registry.remove(current.accessKeyId);
    current = options.registry.add(instanceRole(instanceId, roleName, { account: accountId, ttlMs }));
    lastUpdated = now();
    return current;
  };
  if (roleName !== null) rotate();

  const profileArn = `arn:aws:iam::${accountId}:instance-profile/${roleName ?? ''}`;
  const hostname = `ip-${privateIp.replace(/\./g, '-')}.${region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`}`;
  const metadata: Record<string, () => string> = {
    'instance-id': () => instanceId,
    'ami-id': () => imageId,
    'instance-type': () => instanceType,
    'local-ipv4': () => privateIp,
    'local-hostname': () => hostname,
    hostname: () => hostname,
    'placement/region': () => region,
    'placement/availability-zone': () => availabilityZone,
  };

  const answer = (req: RecordedRequest): FakeResponse => {
    const path = req.path.replace(/\/{2,}/g, '/');
    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') return text(405, 'Method Not Allowed');
      if (req.headers['x-forwarded-for'] !== undefined) return text(403, 'Forbidden');
      const raw = req.headers['x-aws-ec2-metadata-token-ttl-seconds'];
      const ttl = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(ttl >= 1 && ttl <= MAX_TTL)) return text(400, 'Bad Request');
      const token = randomBytes(42).toString('base64');
      tokens.set(token, now().getTime() + ttl * 1000);
      issued += 1;
      return text(200, token, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'Method Not Allowed');
    const token = req.headers['x-aws-ec2-metadata-token'];
    const expiry = token === undefined ? undefined : tokens.get(token);
    if (expiry === undefined || expiry <= now().getTime()) return text(401, 'Unauthorized');

    if (path === '/latest/dynamic/instance-identity/document') {
      const doc = {
        accountId,
        architecture: 'x86_64',
        availabilityZone,
        billingProducts: null,
        devpayProductCodes: null,
        marketplaceProductCodes: null,
        imageId,
        instanceId,
        instanceType,
        kernelId: null,
        pendingTime: iso(launched),
        privateIp,
        ramdiskId: null,
        region,
        version: '2017-09-30',
      };
      return text(200, JSON.stringify(doc, null, 2));
    }
    const m = /^\/latest\/meta-data\/(.*)$/.exec(path);
    if (!m) return text(404, 'Not Found');
    const key = m[1] as string;
    if (key === '') return text(200, [...Object.keys(metadata), ...(roleName !== null ? ['iam/'] : [])].join('\n'));
    const simple = metadata[key];
    if (simple) return text(200, simple());
    if (roleName === null || !key.startsWith('iam/')) return text(404, 'Not Found');
    if (key === 'iam/info') {
      return text(200, JSON.stringify({ Code: 'Success', LastUpdated: iso(lastUpdated), InstanceProfileArn: profileArn, InstanceProfileId: 'AIPAEXAMPLEPROFILE01' }, null, 2));
    }
    if (key === 'iam/security-credentials/' || key === 'iam/security-credentials') return text(200, roleName);
    if (key === `iam/security-credentials/${roleName}` && current) {
      const creds = {
        Code: 'Success',
        LastUpdated: iso(lastUpdated),
        Type: 'AWS-HMAC',
        AccessKeyId: current.accessKeyId,
        SecretAccessKey: current.secretAccessKey,
        Token: current.sessionToken,
        Expiration: iso(current.expiresAt ?? new Date(now().getTime() + ttlMs)),
      };
      return text(200, JSON.stringify(creds, null, 2));
    }
    return text(404, 'Not Found');
  };

  const matches = (f: ImdsFailure, req: RecordedRequest): boolean =>
    (f.method === undefined || f.method === req.method) &&
    (f.path === undefined || (typeof f.path === 'string' ? req.path === f.path : f.path.test(req.path)));

  const server = await startHttpServer(async (req, { signal }) => {
    if (!available) return 'destroy';
    if (delayMs > 0) await sleep(delayMs, signal);
    const i = failures.findIndex((f) => matches(f, req));
    if (i !== -1) {
      const [f] = failures.splice(i, 1);
      return text(f?.status ?? 500, 'Internal Server Error');
    }
    return answer(req);
  }, { requestIdHeader: false });

  return {
    url: server.url,
    close: server.close,
    requests: server.requests,
    instanceId,
    region,
    availabilityZone,
    accountId,
    roleName,
    credentials: () => current,
    rotateCredentials: rotate,
    setAvailable: (a) => {
      available = a;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    failNext: (n, failure = {}) => {
      for (let k = 0; k < n; k++) failures.push({ ...failure });
    },
    revokeTokens: () => tokens.clear(),
    tokensIssued: () => issued,
    setNow: (fn) => {
      now = fn;
    },
  };
};
