// A small AWS on loopback made of moto (IAM enforced) and the one fake moto cannot stand in
// for: the authoriser Lambda (moto invokes functions only through Docker). A recording
// proxy sits in front of moto so that tests can count and inspect the calls lkp made
// (service, action, Host header, caller) — "this costs no EC2 call" is a security
// property here. Instance ids, addresses and DNS names are moto's: tests read them from
// what RunInstances and DescribeInstances answer.
import { Buffer } from 'node:buffer';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, StopInstancesCommand, TerminateInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { AddRoleToInstanceProfileCommand, CreateAccessKeyCommand, CreateInstanceProfileCommand, CreateRoleCommand, CreateUserCommand, DeleteAccessKeyCommand, IAMClient, PutRolePolicyCommand, PutUserPolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { CredentialRegistry, type TestIdentity } from '../fakes/credentials.js';
import { startFakeLambda, type FakeLambda, type LambdaHandler } from '../fakes/lambda.js';
import { startMoto, type Moto, type MotoCredentials } from './moto.js';

/** Credentials moto knows, and the principal they stand for. */
export interface MotoIdentity extends MotoCredentials {
  readonly arn: string;
  readonly account: string;
}

/** One request that reached moto through the recording proxy. */
export interface AwsCall {
  /** SigV4 service of the request (sts, ec2, iam, ssm, secretsmanager, ...). */
  readonly service: string;
  /** Query-protocol Action, or the operation of an X-Amz-Target (JSON protocols). */
  readonly action: string;
  /** The Host header the request was signed for. */
  readonly host: string;
  /** Region of the SigV4 credential scope. */
  readonly region: string;
  /** The caller's ARN when the access key is one this world made. */
  readonly arn?: string;
  /** Query-protocol parameters (form body). */
  readonly params: Readonly<Record<string, string>>;
}

export interface LaunchOptions {
  readonly account?: string;
  /** Instance profile name; none when null. Default lkp-host. */
  readonly profile?: string | null;
  readonly tags?: Readonly<Record<string, string>>;
  /** Made running, then stopped or terminated with the real calls. */
  readonly state?: 'running' | 'stopped' | 'terminated';
}

export interface MotoWorld {
  readonly moto: Moto;
  /** moto's default account. */
  readonly account: string;
  /** The signer's own identity (an IAM user with what the deploy template grants it). */
  readonly signer: MotoIdentity;
  /** The authoriser Lambda fake (moto cannot invoke functions without Docker). */
  readonly lambda: FakeLambda;
  /** Every request that reached moto through the proxy. */
  readonly calls: AwsCall[];
  callsTo(service: string): AwsCall[];
  /** An IAM role (optionally with an instance profile of the same name and an identity policy). */
  role(name: string, trust: unknown, options?: { account?: string; instanceProfile?: boolean; actions?: readonly string[] }): Promise<void>;
  /** Runs an instance (RunInstances), then stops or terminates it as asked; answers DescribeInstances. */
  launch(options?: LaunchOptions): Promise<Instance>;
  /** Credentials of a session of `role` named `session` (sts:AssumeRole, real keys). */
  session(role: string, session: string, options?: { account?: string }): Promise<MotoIdentity>;
  /** An IAM Identity Center-like caller: assumed-role/AWSReservedSSO_Admin_abc123/USER. */
  sso(user?: string): Promise<MotoIdentity>;
  /** An IAM user with an identity policy allowing `actions`. */
  user(name: string, actions: readonly string[]): Promise<MotoIdentity>;
  /** Deletes a user's access key: moto answers InvalidClientTokenId for it from then on. */
  forget(identity: MotoIdentity): Promise<void>;
  /** Environment for a process acting as `who` against this world. */
  env(who?: MotoCredentials, extra?: Record<string, string>): Record<string, string>;
  /** SDK client options acting as `who` (default the admin), through the proxy. */
  client(who?: MotoCredentials): { endpoint: string; region: string; credentials: MotoCredentials };
  close(): Promise<void>;
}

export const EC2_TRUST = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
const policy = (actions: readonly string[]): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });
const trustOf = (principal: Record<string, string>): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }] });

const SSO_ROLE = 'AWSReservedSSO_Admin_abc123';
const ADMIN = 'lkp-test-admin';

/** Forwards every request to moto unchanged (Host header included, so SigV4 still verifies) and records it. */
const startRecordingProxy = async (target: string, arns: Map<string, string>): Promise<{ url: string; calls: AwsCall[]; close(): Promise<void> }> => {
  const calls: AwsCall[] = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const auth = String(req.headers.authorization ?? '');
      const scope = /Credential=([^/]+)\/[^/]+\/([^/]+)\/([^/]+)\//.exec(auth);
      const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(body.toString('utf8'))) : {};
      const target = String(req.headers['x-amz-target'] ?? '');
      const arn = scope ? arns.get(scope[1] as string) : undefined;
      const action = form.Action ?? target.split('.').pop() ?? '';
      calls.push({ service: scope?.[3] ?? '', action, region: scope?.[2] ?? '', host: String(req.headers.host ?? ''), params: form, ...(arn ? { arn } : {}) });
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          const text = Buffer.concat(parts);
          // Learn who the keys AssumeRole hands out belong to (the signer's cross-account ones too).
          if (action === 'AssumeRole') {
            const xml = text.toString('utf8');
            const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(xml)?.[1];
            const who = /<AssumedRoleUser>[\s\S]*?<Arn>([^<]+)<\/Arn>/.exec(xml)?.[1];
            if (key && who) arns.set(key, who);
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(text);
        });
      });
      out.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

const SERVICES = ['STS', 'EC2', 'IAM', 'KMS', 'DYNAMODB', 'SSM', 'SECRETS_MANAGER', 'CLOUDFORMATION'];

/**
 * Starts moto (plus `accounts` as extra accounts, each with its own admin), the recording
 * proxy, the authoriser Lambda fake and the signer's IAM user.
 */
export const startMotoWorld = async (options: { accounts?: readonly string[]; functions?: Record<string, LambdaHandler>; signerActions?: readonly string[] } = {}): Promise<MotoWorld> => {
  const moto = await startMoto({ accounts: options.accounts ?? [] });
  const arns = new Map<string, string>();
  const proxy = await startRecordingProxy(moto.url, arns);
  const registry = new CredentialRegistry();
  let lambda: FakeLambda | undefined;
  try {
    const account = moto.account;
    const clientFor = (who: MotoCredentials = moto.admin) => ({ endpoint: proxy.url, region: 'us-east-1', credentials: { ...who } });
    const adminOf = (acct = account): MotoCredentials => {
      const admin = moto.admins[acct];
      if (!admin) throw new Error(`no admin for account ${acct}: pass it in startMotoWorld({ accounts })`);
      return admin;
    };
    for (const [acct, admin] of Object.entries(moto.admins)) arns.set(admin.accessKeyId, `arn:aws:iam::${acct}:user/${ADMIN}`);
    const trusts = new Map<string, unknown>();

    const user = async (name: string, actions: readonly string[]): Promise<MotoIdentity> => {
      const iam = new IAMClient(clientFor());
      await iam.send(new CreateUserCommand({ UserName: name }));
      if (actions.length > 0) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: policy(actions) }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
      const who = { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '', arn: `arn:aws:iam::${account}:user/${name}`, account };
      arns.set(who.accessKeyId, who.arn);
      return who;
    };

    const role = async (name: string, trust: unknown, opts: { account?: string; instanceProfile?: boolean; actions?: readonly string[] } = {}): Promise<void> => {
      const acct = opts.account ?? account;
      const iam = new IAMClient(clientFor(adminOf(acct)));
      // moto answers AssumeRole with HTTP 500 when the trust names a Service principal: the
      // role trusts the admin while sessions are made (see session()), and its real trust
      // the rest of the time, which is what the signer reads with iam:GetRole.
      await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }));
      trusts.set(`${acct}/${name}`, trust);
      if (opts.actions && opts.actions.length > 0) await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'p', PolicyDocument: policy(opts.actions) }));
      if (opts.instanceProfile) {
        await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }));
        await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
      }
    };

    const session = async (roleName: string, sessionName: string, opts: { account?: string } = {}): Promise<MotoIdentity> => {
      const acct = opts.account ?? account;
      const admin = adminOf(acct);
      const trust = trusts.get(`${acct}/${roleName}`);
      if (trust === undefined) throw new Error(`role ${roleName} in ${acct} was not made with world.role()`);
      const iam = new IAMClient(clientFor(admin));
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: trustOf({ AWS: `arn:aws:iam::${acct}:user/${ADMIN}` }) }));
      try {
        const out = await new STSClient(clientFor(admin)).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${acct}:role/${roleName}`, RoleSessionName: sessionName }));
        const c = out.Credentials;
        return { accessKeyId: c?.AccessKeyId ?? '', secretAccessKey: c?.SecretAccessKey ?? '', sessionToken: c?.SessionToken ?? '', arn: out.AssumedRoleUser?.Arn ?? '', account: acct };
      } finally {
        // Sessions stay valid after the trust changes, as on AWS.
        await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: JSON.stringify(trust) }));
      }
    };

    let ssoReady: Promise<void> | undefined;
    const sso = async (person = 'alice@example.com'): Promise<MotoIdentity> => {
      ssoReady ??= role(SSO_ROLE, { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: `arn:aws:iam::${account}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE` }, Action: ['sts:AssumeRoleWithSAML', 'sts:TagSession'] }] }, { actions: ['ec2:DescribeInstances', 'lambda:InvokeFunction'] });
      await ssoReady;
      return session(SSO_ROLE, person);
    };

    const launch = async (opts: LaunchOptions = {}): Promise<Instance> => {
      const ec2 = new EC2Client(clientFor(adminOf(opts.account)));
      const profile = opts.profile === undefined ? 'lkp-host' : opts.profile;
      const tags = Object.entries(opts.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
      const out = await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-12c6146b',
          MinCount: 1,
          MaxCount: 1,
          ...(profile !== null ? { IamInstanceProfile: { Name: profile } } : {}),
          ...(tags.length > 0 ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] } : {}),
        }),
      );
      const id = out.Instances?.[0]?.InstanceId ?? '';
      if (opts.state === 'stopped') await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
      if (opts.state === 'terminated') await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      const described = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
      if (!described) throw new Error(`moto did not describe ${id}`);
      return described;
    };

    const forget = async (who: MotoIdentity): Promise<void> => {
      const name = who.arn.split(':user/')[1];
      if (!name) throw new Error(`${who.arn} is not an IAM user`);
      await new IAMClient(clientFor()).send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: who.accessKeyId }));
    };

    // What the deploy template grants the signer for the aws method (sts:AssumeRole for the
    // cross-account describe roles).
    const signer = await user('lkp-signer', options.signerActions ?? ['ec2:DescribeInstances', 'iam:GetRole', 'sts:AssumeRole', 'lambda:InvokeFunction']);
    registry.add({ ...signer, userId: 'AIDALKPSIGNER' });
    lambda = await startFakeLambda({ registry, account, functions: options.functions ?? {} });
    const lambdaUrl = lambda.url;
    const started = lambda;

    return {
      moto,
      account,
      signer,
      lambda,
      calls: proxy.calls,
      callsTo: (service) => proxy.calls.filter((c) => c.service === service),
      role,
      launch,
      session,
      sso,
      user,
      forget,
      env: (who = signer, extra = {}) => ({
        ...Object.fromEntries(SERVICES.map((s) => [`AWS_ENDPOINT_URL_${s}`, proxy.url])),
        AWS_ENDPOINT_URL_LAMBDA: lambdaUrl,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: who.accessKeyId,
        AWS_SECRET_ACCESS_KEY: who.secretAccessKey,
        ...(who.sessionToken ? { AWS_SESSION_TOKEN: who.sessionToken } : {}),
        ...extra,
      }),
      client: clientFor,
      close: async () => {
        await Promise.all([started.close(), proxy.close()]);
        await moto.close();
      },
    };
  } catch (error) {
    await lambda?.close();
    await proxy.close();
    await moto.close();
    throw error;
  }
};

/** Registers an identity with a fake that checks SigV4 against a CredentialRegistry. */
export const asTestIdentity = (who: MotoIdentity): TestIdentity => ({ ...who, userId: `AIDA${who.accessKeyId.slice(4)}` });
