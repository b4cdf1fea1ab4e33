// `lkp signer serve` runs for days on instance-role or SSO credentials that last hours: it
// must resolve them again when they expire instead of keeping the first ones for ever.
// The signer's own credentials come from a credential_process that hands out short-lived
// credentials A first and B afterwards; once A has expired (and AWS no longer knows it),
// the next request must still be served, with B.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestDigest } from '../../src/api/digest.js';
import { createAwsProof } from '../../src/aws/identity-proof.js';
import { parsePublicKey } from '../../src/ssh/public-key.js';
import { iamUser, instanceRole, sdkCredentials, TEST_ACCOUNT, type TestIdentity } from '../fakes/credentials.js';
import { startAwsWorld, type AwsWorld } from '../helpers/aws-world.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { genKey, readPub } from '../helpers/openssh.js';

const HOST_ID = 'i-0feedfacecafe0001';
const A_LIFETIME_MS = 2_000;

describe('signer serve credentials', () => {
  let world: AwsWorld;
  let ca: LocalCa;
  let signer: LocalSigner;
  let dir: string;
  let first: TestIdentity;
  let hostKey: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lkp-creds-'));
    world = await startAwsWorld({ instances: [{ instanceId: HOST_ID, iamInstanceProfile: { arn: `arn:aws:iam::${TEST_ACCOUNT}:instance-profile/lkp-host`, id: 'AIPA1' } }] });
    first = world.registry.add(iamUser('lkp-signer-first'));
    const second = world.registry.add(iamUser('lkp-signer-second'));
    const counter = path.join(dir, 'calls');
    writeFileSync(counter, '0');
    const script = path.join(dir, 'creds.cjs');
    const creds = (who: TestIdentity) => ({ Version: 1, AccessKeyId: who.accessKeyId, SecretAccessKey: who.secretAccessKey });
    writeFileSync(
      script,
      `const fs = require('fs');
const n = Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) + 1;
fs.writeFileSync(${JSON.stringify(counter)}, String(n));
const c = n === 1 ? ${JSON.stringify(creds(first))} : ${JSON.stringify(creds(second))};
c.Expiration = new Date(Date.now() + (n === 1 ? ${A_LIFETIME_MS} : 3600000)).toISOString();
process.stdout.write(JSON.stringify(c));
`,
    );
    const awsConfig = path.join(dir, 'config');
    writeFileSync(awsConfig, `[default]\ncredential_process = ${process.execPath} ${script}\n`);
    ca = await makeLocalCa();
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as Record<string, unknown>;
    config.rules = [{ name: 'fleet hosts', for: 'host', method: 'aws', accounts: [TEST_ACCOUNT], roles: ['lkp-host'] }];
    writeFileSync(ca.config, JSON.stringify(config));
    signer = await startLocalSigner(
      ca.config,
      [],
      world.env({ AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_CONFIG_FILE: awsConfig, AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'), AWS_EC2_METADATA_DISABLED: 'true' }),
    );
    hostKey = readPub(await genKey(dir, 'host'));
  });
  afterAll(async () => {
    await signer?.stop();
    await world?.close();
    if (ca) rmSync(path.dirname(ca.dir), { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const hostCert = async () => {
    const who = world.registry.add(instanceRole(HOST_ID, 'lkp-host'));
    const proof = await createAwsProof({ credentials: sdkCredentials(who), region: 'us-east-1', audience: ca.serverId, digest: requestDigest({ action: 'host-cert', publicKeys: [parsePublicKey(hostKey)] }) });
    return invokeJson(lambdaClient(signer.url), { version: 1, action: 'host-cert', identity: { method: 'aws', proof }, publicKeys: [hostKey] });
  };

  it('fail/credentials that expired are resolved again, not kept for ever', async () => {
    const before = await hostCert();
    expect(before.body.error, JSON.stringify(before.body)).toBeUndefined();
    // Let the first credentials expire, and make AWS forget them as it would.
    await new Promise((r) => setTimeout(r, A_LIFETIME_MS + 500));
    world.registry.remove(first.accessKeyId);
    const after = await hostCert();
    expect(after.body.error, JSON.stringify(after.body)).toBeUndefined();
    expect((after.body.certificates as unknown[]).length).toBe(1);
  });
});
