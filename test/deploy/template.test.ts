// deploy/lkp.yaml, read as CloudFormation reads it: cfn-lint finds no error, and every IAM
// statement is least privilege — each action on an allowlist, a `*` resource only for
// actions that have no resource-level permissions, KMS signing pinned to lkp's algorithm,
// the host role able to invoke the signer and nothing else, people unable to sign.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const TEMPLATE = 'deploy/lkp.yaml';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: Json;
  Principal?: Json;
  Condition?: Json;
}
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
}

const cfnLintMissing = (): string | undefined => {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return probe.error || probe.status !== 0 ? 'cfn-lint is not installed: pip install cfn-lint' : undefined;
};

const readTemplate = (): { Resources: Record<string, Resource>; Outputs: Record<string, Json>; Parameters: Record<string, Json> } => {
  const r = spawnSync('python3', ['scripts/template-json.py', TEMPLATE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot decode ${TEMPLATE}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ReturnType<typeof readTemplate>;
};

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

/** Every IAM statement in the template with where it came from (a conditional policy counts). */
const statements = (resources: Record<string, Resource>): Array<{ where: string; kind: 'identity' | 'key'; s: Statement }> => {
  const out: Array<{ where: string; kind: 'identity' | 'key'; s: Statement }> = [];
  const take = (where: string, kind: 'identity' | 'key', doc: Json | undefined): void => {
    const stmts = (doc as { Statement?: Json[] } | undefined)?.Statement ?? [];
    for (const s of stmts) {
      // { Fn::If: [cond, statement, NoValue] }: both branches count.
      const branches = (s as { 'Fn::If'?: Json[] })['Fn::If'] ? ((s as { 'Fn::If': Json[] })['Fn::If'].slice(1) as Json[]) : [s];
      for (const b of branches) if (b && typeof b === 'object' && !('Ref' in b)) out.push({ where, kind, s: b as unknown as Statement });
    }
  };
  for (const [name, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Role') {
      for (const policy of (p.Policies as Json[] | undefined) ?? []) {
        // { Fn::If: [cond, {PolicyDocument}, NoValue] } or a plain policy
        const candidates = (policy as { 'Fn::If'?: Json[] })['Fn::If'] ? ((policy as { 'Fn::If': Json[] })['Fn::If'].slice(1) as Json[]) : [policy];
        for (const c of candidates) take(name, 'identity', (c as { PolicyDocument?: Json } | null)?.PolicyDocument);
      }
    }
    if (r.Type === 'AWS::IAM::RolePolicy' || r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') take(name, 'identity', p.PolicyDocument);
    if (r.Type === 'AWS::KMS::Key') take(name, 'key', p.KeyPolicy);
  }
  return out;
};

/** Actions lkp's resources may be granted, and those that may (only) have Resource "*". */
const ALLOWED_ACTIONS = new Set([
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'ec2:DescribeInstances',
  'iam:GetRole',
  'kms:Sign',
  'kms:GetPublicKey',
  'kms:VerifyMac',
  'kms:GenerateMac',
  'dynamodb:PutItem',
  'dynamodb:Scan',
  'ssm:GetParameter',
  'lambda:InvokeFunction',
  'sts:AssumeRole',
  's3:GetObject',
  'ec2-instance-connect:OpenTunnel',
  'ec2:DescribeInstanceConnectEndpoints',
  'ssm:StartSession',
  'ssm:TerminateSession',
  'ssm:ResumeSession',
]);
const NO_RESOURCE_LEVEL = new Set(['ec2:DescribeInstances', 'ec2:DescribeInstanceConnectEndpoints']);
const KEY_ADMIN_ACTIONS = new Set([
  'kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:GetPublicKey', 'kms:ListAliases', 'kms:ListGrants', 'kms:ListKeyPolicies',
  'kms:ListResourceTags', 'kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias', 'kms:PutKeyPolicy', 'kms:UpdateKeyDescription', 'kms:EnableKey',
  'kms:DisableKey', 'kms:RevokeGrant', 'kms:RetireGrant', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion',
]);

describe('deploy/lkp.yaml', () => {
  it('ok/cfn-lint finds no error or warning', () => {
    const missing = cfnLintMissing();
    if (missing) throw new Error(missing);
    const r = spawnSync('cfn-lint', [TEMPLATE], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  const t = readTemplate();
  const all = statements(t.Resources);

  it('ok/the template has the parts issue 10 lists', () => {
    const types = Object.values(t.Resources).map((r) => r.Type);
    for (const type of ['AWS::Lambda::Function', 'AWS::IAM::Role', 'AWS::KMS::Key', 'AWS::DynamoDB::Table', 'AWS::SSM::Parameter', 'AWS::IAM::InstanceProfile', 'AWS::IAM::ManagedPolicy', 'AWS::Logs::LogGroup', 'AWS::Logs::MetricFilter', 'AWS::CloudWatch::Alarm']) {
      expect(types, type).toContain(type);
    }
    expect(types.filter((x) => x === 'AWS::KMS::Key').length).toBeGreaterThanOrEqual(2);
    for (const o of ['SignerFunctionArn', 'HostInstanceProfileName', 'PeoplePolicyArn', 'CaShowCommand']) expect(Object.keys(t.Outputs)).toContain(o);
    const fn = t.Resources.Signer?.Properties ?? {};
    expect(fn.Architectures).toEqual([{ Ref: 'Architecture' }]);
    expect((t.Parameters.Architecture as { Default: string }).Default).toBe('arm64');
    expect(fn.ReservedConcurrentExecutions).toEqual({ Ref: 'ReservedConcurrency' });
    const table = t.Resources.TokenLedger?.Properties ?? {};
    expect(table.TimeToLiveSpecification).toMatchObject({ Enabled: true });
    expect(table.PointInTimeRecoverySpecification).toMatchObject({ PointInTimeRecoveryEnabled: true });
    expect(table.SSESpecification).toMatchObject({ SSEEnabled: true });
  });

  it('ok/every identity-policy action is on the allowlist; "*" only where the action has no resource-level permissions', () => {
    expect(all.length).toBeGreaterThan(5);
    for (const { where, kind, s } of all.filter((x) => x.kind === 'identity')) {
      expect(s.Effect, `${where}`).toBe('Allow');
      for (const action of list(s.Action)) {
        expect(ALLOWED_ACTIONS.has(action), `${where}: ${action} is not on the allowlist`).toBe(true);
        expect(action.includes('*'), `${where}: wildcard action ${action}`).toBe(false);
        if (s.Resource === '*') expect(NO_RESOURCE_LEVEL.has(action), `${where}: ${action} on "*" (${kind})`).toBe(true);
      }
      expect(s.Resource, `${where}: statement without Resource`).toBeDefined();
    }
  });

  it('ok/KMS: the signer signs only with lkp\'s algorithm for the key spec; key administrators cannot sign or grant', () => {
    const signs = all.filter(({ s }) => list(s.Action).includes('kms:Sign'));
    expect(signs.length).toBeGreaterThanOrEqual(3); // the role's policy and both key policies
    for (const { where, s } of signs) {
      expect(JSON.stringify(s.Condition), `${where}: kms:Sign without kms:SigningAlgorithm`).toContain('kms:SigningAlgorithm');
      if (where !== 'SignerKmsPolicy') expect(s.Principal, `${where}`).toEqual({ AWS: { 'Fn::GetAtt': ['SignerRole', 'Arn'] } });
    }
    for (const { where, s } of all.filter((x) => x.kind === 'key' && x.s.Sid === 'AdministerNotSign')) {
      for (const action of list(s.Action)) {
        expect(KEY_ADMIN_ACTIONS.has(action), `${where}: administrators get ${action}`).toBe(true);
        expect(action, `${where}`).not.toMatch(/Sign|Verify|CreateGrant|\*/);
      }
    }
  });

  it('fail/the host role may invoke the signer (and read the binary prefix) and nothing else; people cannot sign', () => {
    const host = all.filter((x) => x.where === 'HostRole' || x.where === 'HostBinaryPolicy');
    expect(host.flatMap(({ s }) => list(s.Action)).sort()).toEqual(['lambda:InvokeFunction', 's3:GetObject']);
    const people = all.filter((x) => x.where === 'PeoplePolicy');
    expect(people.flatMap(({ s }) => list(s.Action)).sort()).toEqual(['ec2:DescribeInstances', 'lambda:InvokeFunction']);
    const transports = all.filter((x) => x.where === 'PeopleEicePolicy' || x.where === 'PeopleSsmPolicy');
    expect(transports.flatMap(({ s }) => list(s.Action)).sort()).toEqual([
      'ec2-instance-connect:OpenTunnel', 'ec2:DescribeInstanceConnectEndpoints', 'ssm:ResumeSession', 'ssm:StartSession', 'ssm:StartSession', 'ssm:TerminateSession',
    ]);
    const mfa = people.find(({ s }) => list(s.Action).includes('lambda:InvokeFunction'))?.s.Condition;
    expect(JSON.stringify(mfa)).toContain('aws:MultiFactorAuthPresent');
    const trust = t.Resources.HostRole?.Properties?.AssumeRolePolicyDocument as unknown as { Statement: Statement[] };
    expect(trust.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
  });

  it('fail/only the revoker policy may write revocations; the signer only reads them; people cannot touch them', () => {
    const onRevocations = (s: Statement): boolean => JSON.stringify(s.Resource ?? null).includes('"Revocations"') || s.Resource === '*';
    const writers = all.filter(({ s }) => list(s.Action).some((a) => /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/.test(a)) && onRevocations(s));
    expect(writers.map((w) => w.where)).toEqual(['RevokerPolicy']);
    const signer = all.filter(({ where, s }) => where === 'SignerRole' && onRevocations(s));
    expect(signer.flatMap(({ s }) => list(s.Action)).filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:Scan']);
    const people = all.filter((x) => x.where === 'PeoplePolicy');
    expect(people.flatMap(({ s }) => list(s.Action)).filter((a) => a.startsWith('dynamodb:') || a.startsWith('ssm:'))).toEqual([]);
    const revoker = all.filter((x) => x.where === 'RevokerPolicy');
    expect(revoker.flatMap(({ s }) => list(s.Action)).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Scan', 'ssm:GetParameter']);
    // The deployed signer config names the table, so the Lambda serves it in its KRL.
    expect(JSON.stringify(t.Resources.SignerConfig?.Properties?.Value)).toContain('\\"revocations\\":{\\"store\\":\\"dynamodb\\",\\"table\\":\\"${Revocations}');
    expect(Object.keys(t.Outputs)).toContain('RevokerPolicyArn');
  });

  it('ok/no inbound port: OpenTunnel only through lkp-ssh endpoints, port 22, one hour; ssm:StartSession only with AWS-StartSSHSession on tagged instances; an optional endpoint and its security groups', () => {
    expect((t.Resources.PeopleEicePolicy as unknown as { Condition: string }).Condition).toBe('AllowEice');
    expect((t.Resources.PeopleSsmPolicy as unknown as { Condition: string }).Condition).toBe('AllowSsm');
    const people = all.filter((x) => x.where === 'PeopleEicePolicy' || x.where === 'PeopleSsmPolicy').map(({ s }) => s);
    const tunnel = people.find((s) => list(s.Action).includes('ec2-instance-connect:OpenTunnel'));
    expect(JSON.stringify(tunnel?.Resource)).toContain(':instance-connect-endpoint/*');
    expect(tunnel?.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/lkp-ssh': 'true' },
      NumericEquals: { 'ec2-instance-connect:remotePort': '22' },
      NumericLessThanEquals: { 'ec2-instance-connect:maxTunnelDuration': '3600' },
    });
    const starts = people.filter((s) => list(s.Action).includes('ssm:StartSession'));
    expect(starts.map((s) => JSON.stringify(s.Resource)).sort()).toEqual([expect.stringContaining(':instance/*'), expect.stringContaining(':document/AWS-StartSSHSession')]);
    const onInstances = starts.find((s) => JSON.stringify(s.Resource).includes(':instance/*'));
    expect(onInstances?.Condition).toEqual({ StringEquals: { 'ssm:resourceTag/lkp-ssh': 'true' }, BoolIfExists: { 'ssm:SessionDocumentAccessCheck': 'true' } });
    const byType = (type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
    const [eiceName, eice] = byType('AWS::EC2::InstanceConnectEndpoint')[0] ?? [];
    expect(eiceName).toBe('InstanceConnectEndpoint');
    expect((eice as unknown as { Condition: string }).Condition).toBe('HasEice');
    expect(eice?.Properties?.Tags).toEqual([{ Key: 'lkp-ssh', Value: 'true' }]);
    for (const [name, r] of [...byType('AWS::EC2::SecurityGroup'), ...byType('AWS::EC2::SecurityGroupEgress')]) expect((r as unknown as { Condition: string }).Condition, name).toBe('HasEice');
    expect(t.Resources.InstanceSshFromEiceGroup?.Properties?.SecurityGroupIngress).toEqual([{ Description: 'ssh through the endpoint', IpProtocol: 'tcp', FromPort: 22, ToPort: 22, SourceSecurityGroupId: { Ref: 'EiceSecurityGroup' } }]);
  });
});
