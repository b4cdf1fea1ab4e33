// moto (an AWS emulator this project did not write) on a loopback port, with IAM
// enforcement on: SigV4 is verified and identity policies are evaluated after the first
// three requests, which create the admin user the tests then act as.
// Where moto differs from AWS in ways that matter, see ../shared/DESIGN.md; the ones met
// here are noted where they bite.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface MotoCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface Moto {
  readonly url: string;
  /** An IAM user allowed everything (the operator). */
  readonly admin: MotoCredentials;
  /** The account moto runs in by default (the admin's). */
  readonly account: string;
  /** An admin in each extra account asked for with `startMoto({ accounts })`. */
  readonly admins: Readonly<Record<string, MotoCredentials>>;
  /** SDK client options for these credentials against this moto. */
  client(credentials?: MotoCredentials): { endpoint: string; region: string; credentials: MotoCredentials };
  /** Environment for a child process acting with these credentials. */
  env(credentials?: MotoCredentials): Record<string, string>;
  /** The last lines moto printed (its tracebacks explain an HTTP 500). */
  log(): string;
  close(): Promise<void>;
}

const REGION = 'us-east-1';
const SERVICES = ['STS', 'EC2', 'IAM', 'KMS', 'DYNAMODB', 'SSM', 'SECRETS_MANAGER', 'LAMBDA', 'CLOUDFORMATION'];

/** Throws a clear message when moto is not installed. */
export const requireMoto = (): void => {
  const probe = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new Error('moto_server is not installed: these tests run against the moto AWS emulator. Install it with: pip install "moto[server]"');
  }
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

const waitReady = async (url: string, child: ChildProcess, output: () => string): Promise<void> => {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${output()}`);
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${url} within 30 s: ${output()}`);
};

const ACCOUNT = '123456789012'; // moto's default account

/**
 * Starts moto on 127.0.0.1 and creates the admin (and one admin per extra account); IAM is
 * enforced from then on.
 */
export const startMoto = async (options: { accounts?: readonly string[] } = {}): Promise<Moto> => {
  const extra = options.accounts ?? [];
  requireMoto();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: String(3 * (1 + extra.length)), MOTO_ALLOW_NONEXISTENT_REGION: 'false', PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const close = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  };
  try {
    await waitReady(url, child, () => tail);
    const { IAMClient, CreateUserCommand, PutUserPolicyCommand, CreateAccessKeyCommand } = await import('@aws-sdk/client-iam');
    // The unauthenticated requests moto grants (three per account): spent on the admins and
    // their keys. moto files a request under the account its `x-moto-account-id` header
    // names; afterwards a key's own account decides, as on AWS.
    const makeAdmin = async (account?: string): Promise<MotoCredentials> => {
      const iam = new IAMClient({ endpoint: url, region: REGION, credentials: { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' } });
      if (account !== undefined) {
        iam.middlewareStack.add(
          (next) => (args) => {
            (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = account;
            return next(args);
          },
          { step: 'build' },
        );
      }
      await iam.send(new CreateUserCommand({ UserName: 'lkp-test-admin' }));
      await iam.send(
        new PutUserPolicyCommand({
          UserName: 'lkp-test-admin',
          PolicyName: 'all',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
        }),
      );
      const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'lkp-test-admin' }));
      return { accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' };
    };
    const admin = await makeAdmin();
    const admins: Record<string, MotoCredentials> = { [ACCOUNT]: admin };
    for (const account of extra) admins[account] = await makeAdmin(account);
    const withCreds = (c: MotoCredentials): MotoCredentials => ({ accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) });
    return {
      url,
      admin,
      account: ACCOUNT,
      admins,
      client: (credentials = admin) => ({ endpoint: url, region: REGION, credentials: withCreds(credentials) }),
      env: (credentials = admin) => ({
        ...Object.fromEntries(SERVICES.map((s) => [`AWS_ENDPOINT_URL_${s}`, url])),
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
      }),
      log: () => tail,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
};
