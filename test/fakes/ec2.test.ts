import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeInstancesCommand,
  EC2Client,
  paginateDescribeInstances,
  type DescribeInstancesCommandInput,
  type Instance,
} from '@aws-sdk/client-ec2';
import { CredentialRegistry, iamUser, instanceRole, sdkCredentials, type TestIdentity } from './credentials.js';
import { EC2_NON_MUTATING_BUCKET, startFakeEc2, type FakeEc2 } from './ec2.js';

const registry = new CredentialRegistry();
const signer = registry.add(instanceRole('i-0fedcba9876543210', 'lkp-signer'));
const nobody = registry.add(iamUser('nobody'));
const ID = 'i-0123456789abcdef0';
let ec2: FakeEc2;
const saved = process.env.AWS_ENDPOINT_URL_EC2;

const client = (identity: TestIdentity = signer, region = 'us-east-1'): EC2Client =>
  new EC2Client({ region, maxAttempts: 1, credentials: sdkCredentials(identity) });

const only = async (c: EC2Client, input: DescribeInstancesCommandInput): Promise<Instance[]> => {
  const out = await c.send(new DescribeInstancesCommand(input));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
};

beforeAll(async () => {
  ec2 = await startFakeEc2({
    registry,
    authorize: (identity) => identity.arn !== nobody.arn,
    instances: [
      {
        instanceId: ID,
        privateIpAddress: '10.0.1.23',
        publicIpAddress: '54.1.2.3',
        tags: { Name: 'web-1', 'lkp:principals': 'web,app & <ops>' },
      },
    ],
  });
  process.env.AWS_ENDPOINT_URL_EC2 = ec2.url;
});
afterAll(async () => {
  process.env.AWS_ENDPOINT_URL_EC2 = saved;
  await ec2.close();
});

describe('fake EC2 DescribeInstances through @aws-sdk/client-ec2', () => {
  it('returns the typed fields the SDK parses', async () => {
    const out = await client().send(new DescribeInstancesCommand({ InstanceIds: [ID] }));
    const r = out.Reservations?.[0];
    expect(r?.OwnerId).toBe('111122223333');
    expect(r?.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
    const i = r?.Instances?.[0];
    expect(i).toMatchObject({
      InstanceId: ID,
      State: { Code: 16, Name: 'running' },
      PrivateDnsName: 'ip-10-0-1-23.ec2.internal',
      PrivateIpAddress: '10.0.1.23',
      PublicDnsName: 'ec2-54-1-2-3.compute-1.amazonaws.com',
      PublicIpAddress: '54.1.2.3',
      IamInstanceProfile: { Arn: 'arn:aws:iam::111122223333:instance-profile/lkp-host', Id: 'AIPAEXAMPLEPROFILE01' },
      Placement: { AvailabilityZone: 'us-east-1a' },
      VpcId: 'vpc-0a1b2c3d4e5f60718',
      SubnetId: 'subnet-0a1b2c3d4e5f60718',
      InstanceType: 't3.micro',
    });
    expect(i?.LaunchTime).toBeInstanceOf(Date);
    expect(i?.Tags).toEqual([
      { Key: 'Name', Value: 'web-1' },
      { Key: 'lkp:principals', Value: 'web,app & <ops>' },
    ]);
    const call = ec2.calls.at(-1);
    expect(call).toMatchObject({ action: 'DescribeInstances', region: 'us-east-1', arn: signer.arn, instanceIds: [ID] });
  });

  it('follows state changes, profile and tag edits the test makes', async () => {
    const other = ec2.addInstance({ availabilityZone: 'us-east-1b', tags: { env: 'dev' } });
    ec2.stop(other.instanceId);
    let [i] = await only(client(), { InstanceIds: [other.instanceId] });
    expect(i?.State).toEqual({ Code: 80, Name: 'stopped' });
    expect(i?.PublicDnsName).toBe('');
    expect(i?.PublicIpAddress).toBeUndefined();

    ec2.setProfile(other.instanceId, { arn: 'arn:aws:iam::111122223333:instance-profile/other', id: 'AIPAOTHER' });
    ec2.setTags(other.instanceId, { env: 'prod' });
    [i] = await only(client(), { InstanceIds: [other.instanceId] });
    expect(i?.IamInstanceProfile?.Arn).toBe('arn:aws:iam::111122223333:instance-profile/other');
    expect(i?.Tags).toEqual([{ Key: 'env', Value: 'prod' }]);

    ec2.terminate(other.instanceId);
    [i] = await only(client(), { InstanceIds: [other.instanceId] });
    expect(i?.State).toEqual({ Code: 48, Name: 'terminated' });
    expect(i?.IamInstanceProfile).toBeUndefined();
    ec2.remove(other.instanceId);
  });

  it('applies filters with wildcards', async () => {
    const b = ec2.addInstance({ tags: { Name: 'db-1' } });
    const names = async (filters: { Name: string; Values: string[] }[]) =>
      (await only(client(), { Filters: filters })).map((i) => i.InstanceId).sort();
    expect(await names([{ Name: 'tag:Name', Values: ['web-*'] }])).toEqual([ID]);
    expect(await names([{ Name: 'instance-state-name', Values: ['running'] }, { Name: 'tag-key', Values: ['Name'] }])).toEqual(
      [ID, b.instanceId].sort(),
    );
    expect(await names([{ Name: 'private-ip-address', Values: ['10.0.1.2?'] }])).toEqual([ID]);
    await expect(only(client(), { Filters: [{ Name: 'bogus', Values: ['x'] }] })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    ec2.remove(b.instanceId);
  });

  it('paginates with MaxResults / NextToken', async () => {
    const extra = Array.from({ length: 6 }, () => ec2.addInstance());
    const seen: string[] = [];
    for await (const page of paginateDescribeInstances({ client: client(), pageSize: 5 }, {})) {
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) seen.push(i.InstanceId ?? '');
    }
    expect(seen).toHaveLength(7);
    for (const i of extra) ec2.remove(i.instanceId);
  });

  it('sees only instances of the region the request was signed for', async () => {
    const [found] = await only(client(signer, 'eu-west-1'), {});
    expect(found).toBeUndefined();
    await expect(only(client(signer, 'eu-west-1'), { InstanceIds: [ID] })).rejects.toMatchObject({
      name: 'InvalidInstanceID.NotFound',
    });
    expect(ec2.calls.at(-1)?.region).toBe('eu-west-1');
  });

  it('answers NotFound and Malformed as EC2 does', async () => {
    const err = await only(client(), { InstanceIds: ['i-0000000000000000f'] }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'InvalidInstanceID.NotFound',
      message: "The instance ID 'i-0000000000000000f' does not exist",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(only(client(), { InstanceIds: ['i-nothex'] })).rejects.toMatchObject({ name: 'InvalidInstanceID.Malformed' });
  });

  it('refuses bad signatures (AuthFailure) and IAM denials (UnauthorizedOperation)', async () => {
    const tampered = new EC2Client({
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { ...sdkCredentials(signer), secretAccessKey: 'wrong' },
    });
    await expect(only(tampered, { InstanceIds: [ID] })).rejects.toMatchObject({ name: 'AuthFailure', $metadata: { httpStatusCode: 401 } });
    await expect(only(client(iamUser('stranger')), {})).rejects.toMatchObject({ name: 'AuthFailure' });
    await expect(only(client(nobody), { InstanceIds: [ID] })).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(only(client(), { InstanceIds: [ID], DryRun: true })).rejects.toMatchObject({ name: 'DryRunOperation' });
  });

  it('injects throttling', async () => {
    ec2.failNext(1);
    await expect(only(client(), { InstanceIds: [ID] })).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    await expect(only(client(), { InstanceIds: [ID] })).resolves.toHaveLength(1);
  });

  it('throttles non-mutating calls with a token bucket per account and region (100, +20/s)', async () => {
    let ms = 0;
    ec2.setThrottle({ ...EC2_NON_MUTATING_BUCKET, clock: () => ms });
    try {
      const c = client();
      for (let k = 0; k < 100; k += 1) await only(c, { InstanceIds: [ID] });
      const refused = only(c, { InstanceIds: [ID] });
      await expect(refused).rejects.toMatchObject({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });
      // Another region is another bucket.
      await expect(only(client(signer, 'eu-west-1'), {})).resolves.toEqual([]);
      ms += 100; // 0.1 s refills 2 tokens
      await only(c, { InstanceIds: [ID] });
      await only(c, { InstanceIds: [ID] });
      await expect(only(c, { InstanceIds: [ID] })).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
      expect(ec2.calls.at(-1)?.errorCode).toBe('RequestLimitExceeded');
    } finally {
      ec2.setThrottle(undefined);
    }
    await expect(only(client(), { InstanceIds: [ID] })).resolves.toHaveLength(1);
  });
});
