// EC2 throttling seen from a host: the real `lkp signer serve` (real aws verifiers, SDK
// client-ec2) asks an EC2 fake that answers RequestLimitExceeded (HTTP 503, EC2's error
// XML). The fake stays here because moto has no throttling injection.
import { readFileSync, writeFileSync } from 'node:fs';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestDigest } from '../../src/api/digest.js';
import { createAwsProof } from '../../src/aws/identity-proof.js';
import { SIGNER_EC2_RETRY } from '../../src/signer/identity/aws-verifiers.js';
import { parsePublicKey } from '../../src/ssh/public-key.js';
import { CredentialRegistry, iamUser, instanceRole, sdkCredentials, TEST_ACCOUNT } from '../fakes/credentials.js';
import { startFakeEc2, type FakeEc2 } from '../fakes/ec2.js';
import { EC2_ONLY_TRUST, startFakeIam, type FakeIam } from '../fakes/iam.js';
import { startFakeSts, type FakeSts } from '../fakes/sts.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { genKey, readPub, tempDir } from '../helpers/openssh.js';

const HOST_ID = 'i-0a1b2c3d4e5f60718';
const PROFILE = `arn:aws:iam::${TEST_ACCOUNT}:instance-profile/lkp-host`;

describe('EC2 throttling (RequestLimitExceeded) at the signer', () => {
  const registry = new CredentialRegistry();
  const signerIdentity = registry.add(iamUser('lkp-signer'));
  const hostIdentity = registry.add(instanceRole(HOST_ID, 'lkp-host'));
  let sts: FakeSts;
  let ec2: FakeEc2;
  let iam: FakeIam;
  let ca: LocalCa;
  let signer: LocalSigner;
  let client: LambdaClient;
  let hostKey: string;

  beforeAll(async () => {
    sts = await startFakeSts({ registry });
    ec2 = await startFakeEc2({ registry, instances: [{ instanceId: HOST_ID, privateIpAddress: '10.0.1.5', iamInstanceProfile: { arn: PROFILE, id: 'AIPA1' } }] });
    iam = await startFakeIam({ registry, roles: { 'lkp-host': EC2_ONLY_TRUST } });
    ca = await makeLocalCa();
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as Record<string, unknown>;
    config.rules = [{ name: 'fleet hosts', for: 'host', method: 'aws', accounts: [TEST_ACCOUNT], regions: ['us-east-1'], roles: ['lkp-host'], instanceProfiles: ['lkp-host'] }];
    writeFileSync(ca.config, JSON.stringify(config));
    signer = await startLocalSigner(ca.config, [], {
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_ENDPOINT_URL_EC2: ec2.url,
      AWS_ENDPOINT_URL_IAM: iam.url,
      AWS_ACCESS_KEY_ID: signerIdentity.accessKeyId,
      AWS_SECRET_ACCESS_KEY: signerIdentity.secretAccessKey,
      AWS_REGION: 'us-east-1',
    });
    client = lambdaClient(signer.url);
    hostKey = readPub(await genKey(tempDir(), 'host'));
  });
  afterAll(async () => {
    await signer?.stop();
    await Promise.all([sts?.close(), ec2?.close(), iam?.close()]);
  });

  const hostRequest = async () => {
    const publicKeys = [hostKey];
    const proof = await createAwsProof({ credentials: sdkCredentials(hostIdentity), region: 'us-east-1', audience: ca.serverId, digest: requestDigest({ action: 'host-cert', publicKeys: publicKeys.map(parsePublicKey) }) });
    return { version: 1, action: 'host-cert', identity: { method: 'aws', proof }, publicKeys };
  };
  const describeCalls = (from: number) => ec2.calls.slice(from).filter((c) => c.action === 'DescribeInstances');

  it('backs off and succeeds when EC2 throttles the first call', async () => {
    const from = ec2.calls.length;
    ec2.failNext(1);
    const { body, functionError } = await invokeJson(client, await hostRequest());
    expect(functionError).toBeUndefined();
    expect(body.error, JSON.stringify(body)).toBeUndefined();
    expect((body.certificates as unknown[]).length).toBe(1);
    expect(describeCalls(from).map((c) => c.errorCode ?? 'ok')).toEqual(['RequestLimitExceeded', 'ok']);
  });

  it('answers the retryable Throttled (not Internal, no crash) when EC2 keeps throttling, and the audit line says so', async () => {
    const from = ec2.calls.length;
    const audited = signer.audit().length;
    ec2.failNext(SIGNER_EC2_RETRY.maxAttempts);
    {
      const { body, functionError } = await invokeJson(client, await hostRequest());
      expect(functionError).toBeUndefined();
      expect((body.error as { code: string }).code).toBe('Throttled');
      expect(body.certificates).toBeUndefined();
      // The signer gives up after a short retry and lets the host back off (with jitter)
      // instead of holding the request through long SDK retries: in the bench's boot
      // storm those outlived the hosts' timeouts and fed the storm.
      expect(SIGNER_EC2_RETRY.maxAttempts).toBeLessThanOrEqual(3);
      expect(describeCalls(from).map((c) => c.errorCode)).toEqual(Array(SIGNER_EC2_RETRY.maxAttempts).fill('RequestLimitExceeded'));
      const line = (await signer.waitForAudit(audited + 1)).at(-1);
      expect(line).toMatchObject({ action: 'host-cert', outcome: 'denied', code: 'Throttled' });
      expect(String(line?.reason)).toContain('RequestLimitExceeded');
    }
  }, 60_000);

  it('Throttled is retryable: hosts asking again once the bucket has refilled get their certificates', async () => {
    // One token, then one every 2 s: of three hosts asking at once, one is served and the
    // others are answered Throttled (the signer's short retry comes too soon for a token).
    ec2.setThrottle({ capacity: 1, refillPerSecond: 0.5 });
    try {
      const seen: string[] = [];
      const asHost = async (): Promise<string> => {
        for (let attempt = 1; attempt <= 20; attempt += 1) {
          const { body, functionError } = await invokeJson(client, await hostRequest());
          expect(functionError).toBeUndefined();
          const code = (body.error as { code?: string } | undefined)?.code ?? 'issued';
          seen.push(code);
          if (code !== 'Throttled') return code;
          await new Promise((r) => setTimeout(r, 500));
        }
        return 'still throttled';
      };
      expect(await Promise.all([asHost(), asHost(), asHost()])).toEqual(['issued', 'issued', 'issued']);
      expect(seen).toContain('Throttled');
      expect(new Set(seen)).toEqual(new Set(['issued', 'Throttled']));
    } finally {
      ec2.setThrottle(undefined);
    }
  }, 90_000);
});
