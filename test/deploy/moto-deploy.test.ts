// deploy/lkp.yaml deployed into moto's CloudFormation with IAM enforced, then used the way
// the operator's guide says: the signer runs with the stack's own role (sts:AssumeRole),
// its policy from the stack's SSM parameter and its CA keys in the stack's KMS keys; a host
// with the stack's host-role credentials bootstraps against a real sshd; a person with the
// stack's people policy logs in. Negative cases: the host role cannot kms:Sign or touch the
// ledger; the people policy can invoke the signer but cannot sign.
//
// moto 5.2.1 evaluates IAM actions but not resources (a statement naming an ARN never
// matches), so the deployed copy has each IAM Resource widened to "*"; the resource scoping
// itself is checked by template.test.ts. Invoking a Lambda needs Docker in moto, so the
// signer runs as `lkp signer serve` with the stack role's credentials.
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeImds } from '../fakes/imds.js';
import { KRL_MAX_AGE_SECONDS } from '../../src/signer/krl-source.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { startMoto, type Moto, type MotoCredentials } from '../helpers/moto.js';
import { currentUser, startSshd } from '../helpers/openssh.js';
import { makeSandboxHost } from '../helpers/sandbox-host.js';
import { onCleanup, tempDir } from '../helpers/temp.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const ACCOUNT = '123456789012';

/** Role logical id -> policy name -> each statement's actions (filled by motoTemplate). */
const rolePolicies = new Map<string, Map<string, Array<string | string[]>>>();

/** The template with every IAM statement's Resource widened to "*" (moto cannot match ARNs). */
const motoTemplate = (file: string): string => {
  const r = spawnSync('python3', ['scripts/template-json.py', 'deploy/lkp.yaml'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const t = JSON.parse(r.stdout) as { Resources: Record<string, { Type: string; Properties: Record<string, Json> }> };
  const widen = (doc: Json | undefined): void => {
    for (const s of ((doc as { Statement?: Array<{ Resource?: Json; Principal?: Json }> } | undefined)?.Statement ?? [])) if (s.Resource !== undefined) s.Resource = '*';
  };
  const remember = (role: string, name: string, doc: Json | undefined): void => {
    const actions = ((doc as { Statement?: Array<{ Action: string | string[] }> } | undefined)?.Statement ?? []).map((st) => st.Action);
    const byName = rolePolicies.get(role) ?? new Map<string, Array<string | string[]>>();
    byName.set(name, actions);
    rolePolicies.set(role, byName);
  };
  for (const [logical, res] of Object.entries(t.Resources)) {
    if (['AWS::IAM::RolePolicy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Policy'].includes(res.Type)) widen(res.Properties.PolicyDocument);
    if (res.Type === 'AWS::IAM::RolePolicy' && !(res as { Condition?: string }).Condition) remember((res.Properties.RoleName as { Ref: string }).Ref, res.Properties.PolicyName as string, res.Properties.PolicyDocument);
    if (res.Type === 'AWS::IAM::Role') {
      for (const p of (res.Properties.Policies as Array<{ PolicyName: string; PolicyDocument?: Json }> | undefined) ?? []) {
        widen(p.PolicyDocument);
        remember(logical, p.PolicyName, p.PolicyDocument);
      }
    }
  }
  writeFileSync(file, JSON.stringify(t));
  return file;
};

describe('the deploy template in moto, used as the guide says', () => {
  let moto: Moto;
  let signer: LocalSigner;
  const dir = tempDir('lkp-deploy-');
  const login = currentUser();
  const physical = new Map<string, string>();
  const configFile = path.join(dir, 'signer.json');
  let signerCreds: MotoCredentials;
  let alice: MotoCredentials;

  /** The AWS CLI against moto, as an operator runs it (async: moto's log pipe keeps draining). */
  const aws = (args: string[], creds: MotoCredentials = moto.admin): Promise<{ code: number; out: string; err: string; json: () => Record<string, Json> }> =>
    new Promise((resolve) => {
      execFile('aws', ['--endpoint-url', moto.url, '--region', 'us-east-1', '--output', 'json', ...args], { env: { ...process.env, ...moto.env(creds), AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' }, maxBuffer: 8 << 20 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        // s3 commands print text, not JSON.
        resolve({ code, out: stdout, err: stderr, json: () => (stdout.trim().startsWith('{') ? (JSON.parse(stdout) as Record<string, Json>) : {}) });
      });
    });
  const ok = async (args: string[], creds?: MotoCredentials) => {
    const r = await aws(args, creds);
    if (r.code !== 0) throw new Error(`aws ${args.join(' ')}: ${r.err}\nmoto: ${moto.log().slice(-1500)}`);
    return r.json();
  };
  const trust = (principal: Record<string, string>) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }] });
  /** moto answers AssumeRole with HTTP 500 on a Service-principal trust: trust the admin while assuming, then restore. */
  const assume = async (role: string, session: string, service: string): Promise<MotoCredentials> => {
    await ok(['iam', 'update-assume-role-policy', '--role-name', role, '--policy-document', trust({ AWS: `arn:aws:iam::${ACCOUNT}:user/lkp-test-admin` })]);
    const c = (await ok(['sts', 'assume-role', '--role-arn', `arn:aws:iam::${ACCOUNT}:role/${role}`, '--role-session-name', session])).Credentials as Record<string, string>;
    await ok(['iam', 'update-assume-role-policy', '--role-name', role, '--policy-document', trust({ Service: service })]);
    return { accessKeyId: c.AccessKeyId as string, secretAccessKey: c.SecretAccessKey as string, sessionToken: c.SessionToken as string };
  };

  beforeAll(async () => {
    if (spawnSync('aws', ['--version']).status !== 0) throw new Error('the AWS CLI is needed for this test (pip install awscli)');
    moto = await startMoto();
    // 1. upload the code and deploy, with a user rule for alice in ExtraRules.
    const build = spawnSync(process.execPath, ['scripts/build-lambda.js'], { encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    await ok(['s3', 'mb', 's3://lkp-code']);
    await ok(['s3', 'cp', 'build/lkp-signer-lambda.zip', 's3://lkp-code/lkp/signer.zip']);
    const rules = [
      { name: 'alice', for: 'user', method: 'aws', callers: [`arn:aws:iam::${ACCOUNT}:user/alice`], instances: { tags: { Team: ['payments'] } }, logins: [login], maxValidity: '1h' },
      { name: 'build boxes', for: 'host', method: 'join-token', principals: ['*.example.com'] },
    ];
    await ok([
      'cloudformation', 'deploy', '--stack-name', 'lkp', '--template-file', motoTemplate(path.join(dir, 'lkp-moto.json')), '--capabilities', 'CAPABILITY_IAM',
      '--parameter-overrides', 'CodeS3Bucket=lkp-code', 'CodeS3Key=lkp/signer.zip', 'ServerId=lkp-test', 'RequireMfaForPeople=false', `ExtraRules=${rules.map((r) => JSON.stringify(r)).join(',')}`,
    ]);
    // moto does not return stack Outputs; the stack's resources name the same things.
    const resources = (await ok(['cloudformation', 'describe-stack-resources', '--stack-name', 'lkp'])).StackResources as Array<Record<string, string>>;
    for (const r of resources) physical.set(r.LogicalResourceId as string, r.PhysicalResourceId as string);
    // moto stores a role's inline policies made by CloudFormation in a shape its own IAM
    // check cannot read (KeyError 'policy_document', HTTP 500) and answers GetRolePolicy with
    // a Python repr: write each back from the template (actions as written, resources "*",
    // no conditions: moto evaluates neither).
    for (const [logical, policies] of rolePolicies) {
      for (const [name, actions] of policies) {
        const doc = { Version: '2012-10-17', Statement: actions.map((a) => ({ Effect: 'Allow', Action: a, Resource: '*' })) };
        await ok(['iam', 'put-role-policy', '--role-name', physical.get(logical) as string, '--policy-name', name, '--policy-document', JSON.stringify(doc)]);
      }
    }

    // moto's CloudFormation makes every AWS::KMS::Key SYMMETRIC_DEFAULT/ENCRYPT_DECRYPT,
    // whatever KeySpec and KeyUsage say: make keys of the stack's specs through the KMS API
    // and point the stack's policy parameter at them. Everything else is the stack's own.
    let value = ((await ok(['ssm', 'get-parameter', '--name', '/lkp/lkp-test/signer-config'])).Parameter as Record<string, string>).Value as string;
    for (const [logical, spec, usage] of [['HostCaKey', 'ECC_NIST_P256', 'SIGN_VERIFY'], ['UserCaKey', 'ECC_NIST_P256', 'SIGN_VERIFY'], ['TokenKey', 'HMAC_256', 'GENERATE_VERIFY_MAC']] as const) {
      const stackKeyId = (physical.get(logical) as string).replace(/^.*key\//, '');
      const made = ((await ok(['kms', 'create-key', '--key-spec', spec, '--key-usage', usage])).KeyMetadata as Record<string, string>).Arn as string;
      expect(value).toContain(`key/${stackKeyId}`);
      value = value.split(`key/${stackKeyId}`).join(`key/${made.replace(/^.*key\//, '')}`);
      physical.set(logical, made);
    }
    await ok(['ssm', 'put-parameter', '--name', '/lkp/lkp-test/signer-config', '--type', 'String', '--overwrite', '--value', value]);

    // 2. the signer, as the stack's role, with the stack's policy parameter.
    signerCreds = await assume(physical.get('SignerRole') as string, 'lkp-signer', 'lambda.amazonaws.com');
    const config = (await ok(['ssm', 'get-parameter', '--name', '/lkp/lkp-test/signer-config'], signerCreds)).Parameter as Record<string, string>;
    writeFileSync(configFile, config.Value as string);
    signer = await startLocalSigner(configFile, [], moto.env(signerCreds));
    onCleanup(() => signer.stop());

    // 3. a person with the people policy.
    await ok(['iam', 'create-user', '--user-name', 'alice']);
    await ok(['iam', 'attach-user-policy', '--user-name', 'alice', '--policy-arn', physical.get('PeoplePolicy') as string]);
    const key = (await ok(['iam', 'create-access-key', '--user-name', 'alice'])).AccessKey as Record<string, string>;
    alice = { accessKeyId: key.AccessKeyId as string, secretAccessKey: key.SecretAccessKey as string };
  }, 180_000);

  afterAll(async () => moto?.close());

  it('ok/a host with the stack\'s instance profile bootstraps, certified by the stack\'s KMS host CA; alice logs in', async () => {
    const run = await ok(['ec2', 'run-instances', '--image-id', 'ami-12c6146b', '--count', '1', '--iam-instance-profile', `Name=${physical.get('HostInstanceProfile')}`, '--tag-specifications', 'ResourceType=instance,Tags=[{Key=Team,Value=payments}]']);
    const instance = (run.Instances as Array<Record<string, string>>)[0] as Record<string, string>;
    const instanceId = instance.InstanceId as string;
    const hostCreds = await assume(physical.get('HostRole') as string, instanceId, 'ec2.amazonaws.com');
    const imds = await startFakeImds({ instanceId, accountId: ACCOUNT, privateIp: instance.PrivateIpAddress as string, roleName: physical.get('HostRole') as string, roleCredentials: { ...hostCreds, sessionToken: hostCreds.sessionToken as string } });
    onCleanup(() => imds.close());
    const host = await makeSandboxHost();
    const r = await lkp(['host', '--ssh-dir', host.sshDir, '--users', login, '--no-reload'], { env: { AWS_ENDPOINT_URL_LAMBDA: signer.url, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' } });
    expect(r.code, r.stderr).toBe(0);

    // The host certificates are signed by the stack's KMS host CA key (lkp ca show, as the guide says).
    const show = await lkp(['ca', 'show', '--ssm-parameter', '/lkp/lkp-test/signer-config', '--json'], { env: moto.env() });
    expect(show.code, show.stderr).toBe(0);
    const report = JSON.parse(show.stdout) as { hostCa: { store: string; keys: Array<{ fingerprint: string }> } };
    expect(report.hostCa.store).toContain(physical.get('HostCaKey'));
    const certs = spawnSync('ssh-keygen', ['-L', '-f', path.join(host.sshDir, 'lkp', 'ssh_host_ed25519_key-cert.pub')], { encoding: 'utf8' }).stdout;
    expect(certs).toContain(`Signing CA: ECDSA ${report.hostCa.keys[0]?.fingerprint}`);
    expect(certs).toContain(instanceId);

    const sshd = await startSshd(host.sshdConfig);
    onCleanup(() => sshd.stop());
    const home = tempDir('lkp-deploy-home-');
    const arn = `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/${instanceId}`;
    const exec = await lkp(['ssh', 'exec', '--instance-arn', arn, '--user', login, '--address', '127.0.0.1', '--port', String(sshd.port), '--', 'echo', 'deployed-ok'], { env: { ...moto.env(alice), AWS_ENDPOINT_URL_LAMBDA: signer.url, LKP_HOME: home } });
    expect(exec.stderr).toBe('');
    expect(exec.stdout.trim()).toBe('deployed-ok');
    const issued = signer.audit().filter((a) => a.outcome === 'issued');
    expect(issued.map((a) => a.action).sort()).toEqual(['host-cert', 'user-cert']);
  });

  it('ok/a host outside AWS joins with a token minted by an administrator (kms:GenerateMac); the stack\'s ledger makes it single-use', async () => {
    const token = await lkp(['signer', 'token', 'create', '--config', configFile, '--principal', 'build-box.example.com'], { env: moto.env() });
    expect(token.code, token.stderr).toBe(0);
    const host = await makeSandboxHost();
    const first = await lkp(['host', '--join-token', token.stdout.trim(), '--ssh-dir', host.sshDir, '--users', login, '--no-reload'], { env: { AWS_ENDPOINT_URL_LAMBDA: signer.url } });
    expect(first.code, first.stderr).toBe(0);
    const again = await lkp(['host', '--join-token', token.stdout.trim(), '--ssh-dir', (await makeSandboxHost()).sshDir, '--users', login, '--no-reload'], { env: { AWS_ENDPOINT_URL_LAMBDA: signer.url } });
    expect(again.code).toBe(3);
    const items = (await ok(['dynamodb', 'scan', '--table-name', physical.get('TokenLedger') as string])).Items as unknown[];
    expect(items.length).toBe(1);
  });

  it('fail/the host role cannot sign with the CA keys or write the ledger', async () => {
    const hostCreds = await assume(physical.get('HostRole') as string, 'i-0123456789abcdef0', 'ec2.amazonaws.com');
    const sign = await aws(['kms', 'sign', '--key-id', physical.get('HostCaKey') as string, '--message', 'aGk=', '--message-type', 'RAW', '--signing-algorithm', 'ECDSA_SHA_256'], hostCreds);
    expect(sign.code).not.toBe(0);
    expect(sign.err).toMatch(/AccessDenied|not authorized/);
    const put = await aws(['dynamodb', 'put-item', '--table-name', physical.get('TokenLedger') as string, '--item', '{"tokenId":{"S":"forged"}}'], hostCreds);
    expect(put.code).not.toBe(0);
    expect(put.err).toMatch(/AccessDenied|not authorized/);
    // ...while the signer's own role may sign (the same call, so the denial above is IAM's).
    expect((await aws(['kms', 'sign', '--key-id', physical.get('HostCaKey') as string, '--message', 'aGk=', '--message-type', 'RAW', '--signing-algorithm', 'ECDSA_SHA_256'], signerCreds)).code).toBe(0);
  });

  it('fail/the people policy may invoke the signer but not sign', async () => {
    const sign = await aws(['kms', 'sign', '--key-id', physical.get('UserCaKey') as string, '--message', 'aGk=', '--message-type', 'RAW', '--signing-algorithm', 'ECDSA_SHA_256'], alice);
    expect(sign.code).not.toBe(0);
    expect(sign.err).toMatch(/AccessDenied|not authorized/);
    // moto cannot run the function (no Docker), but IAM is evaluated first: not a denial.
    const invoke = await aws(['lambda', 'invoke', '--function-name', physical.get('Signer') as string, '--payload', '{}', path.join(dir, 'out.json')], alice);
    expect(invoke.err).not.toMatch(/AccessDenied|not authorized/);
    const described = await aws(['ec2', 'describe-instances'], alice);
    expect(described.code, described.err).toBe(0);
  });

  it('ok/an administrator with the RevokerPolicy revokes in the stack\'s table as themselves; the people policy cannot write it; the signer role serves it in its KRL', async () => {
    await ok(['iam', 'create-user', '--user-name', 'bob']);
    await ok(['iam', 'attach-user-policy', '--user-name', 'bob', '--policy-arn', physical.get('RevokerPolicy') as string]);
    const key = (await ok(['iam', 'create-access-key', '--user-name', 'bob'])).AccessKey as Record<string, string>;
    const bob = { accessKeyId: key.AccessKeyId as string, secretAccessKey: key.SecretAccessKey as string };
    const revoke = ['signer', 'revoke', '--serial', '77', '--ca', 'user', '--reason', 'laptop stolen', '--json'];
    const byBob = await lkp([...revoke, '--ssm-parameter', '/lkp/lkp-test/signer-config'], { env: moto.env(bob) });
    expect(byBob.code, byBob.stderr).toBe(0);
    expect(JSON.parse(byBob.stdout)).toMatchObject({ added: true, revocation: { revokedBy: `arn:aws:iam::${ACCOUNT}:user/bob` } });

    // alice (people policy), even with the config at hand: DynamoDB refuses her write.
    const byAlice = await lkp([...revoke.slice(0, 3), '78', ...revoke.slice(4), '--config', configFile], { env: moto.env(alice) });
    expect(byAlice.code, byAlice.stderr).toBe(34);
    // moto answers an IAM denial as XML, which the JSON DynamoDB client cannot read: HTTP 403 (AWS says AccessDeniedException).
    expect(byAlice.stderr).toMatch(/AccessDenied|HTTP 403/);
    const put = await aws(['dynamodb', 'put-item', '--table-name', physical.get('Revocations') as string, '--item', '{"id":{"S":"serial/user/79"}}'], alice);
    expect(put.code).not.toBe(0);
    expect(put.err).toMatch(/AccessDenied|not authorized/);

    const listed = await lkp(['signer', 'revocations', '--ssm-parameter', '/lkp/lkp-test/signer-config', '--json'], { env: moto.env(bob) });
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { revocations: Array<{ serial: string }> }).revocations.map((r) => r.serial)).toEqual(['77']);

    // The signer, as the stack's role, reads the table for its krl answer.
    // lkp host and lkp ssh exec above fetched the KRL already, and the signer serves a build
    // for up to KRL_MAX_AGE_SECONDS when its store (DynamoDB) gives no change mark: wait that out.
    let { body } = await invokeJson(lambdaClient(signer.url), { version: 1, action: 'krl' });
    for (const until = Date.now() + (KRL_MAX_AGE_SECONDS + 5) * 1000; body.count !== 1 && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 1000));
      ({ body } = await invokeJson(lambdaClient(signer.url), { version: 1, action: 'krl' }));
    }
    expect(body).toMatchObject({ count: 1 });
    const krl = path.join(dir, 'revoked.krl');
    writeFileSync(krl, Buffer.from(body.krl as string, 'base64'));
    expect(spawnSync('ssh-keygen', ['-Q', '-l', '-f', krl], { encoding: 'utf8' }).stdout).toContain('serial: 77');
  });
});
