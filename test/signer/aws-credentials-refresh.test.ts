// `lkp signer serve` runs for days on instance-role or SSO credentials that last hours: it
// must resolve them again when they expire instead of keeping the first ones for ever.
// The signer's own credentials come from a credential_process that hands out short-lived
// credentials A first and B afterwards; once A has expired (and AWS no longer knows it),
// the next request must still be served, with B. AWS is moto with IAM enforced: A's access
// key is deleted once it has expired, so a signer still using it gets InvalidClientTokenId.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestDigest } from '../../src/api/digest.js';
import { createAwsProof } from '../../src/aws/identity-proof.js';
import { parsePublicKey } from '../../src/ssh/public-key.js';
import { EC2_TRUST, startMotoWorld, type MotoIdentity, type MotoWorld } from '../helpers/moto-world.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { genKey, readPub } from '../helpers/openssh.js';

const A_LIFETIME_MS = 2_000;

describe('signer serve credentials', () => {
  let world: MotoWorld;
  let hostId: string;
  let ca: LocalCa;
  let signer: LocalSigner;
  let dir: string;
  let first: MotoIdentity;
  let hostKey: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lkp-creds-'));
    world = await startMotoWorld();
    await world.role('lkp-host', EC2_TRUST, { instanceProfile: true });
    hostId = (await world.launch()).InstanceId ?? '';
    first = await world.user('lkp-signer-first', ['ec2:DescribeInstances', 'iam:GetRole']);
    const second = await world.user('lkp-signer-second', ['ec2:DescribeInstances', 'iam:GetRole']);
    const counter = path.join(dir, 'calls');
    writeFileSync(counter, '0');
    const script = path.join(dir, 'creds.cjs');
    const creds = (who: MotoIdentity) => ({ Version: 1, AccessKeyId: who.accessKeyId, SecretAccessKey: who.secretAccessKey });
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
    config.rules = [{ name: 'fleet hosts', for: 'host', method: 'aws', accounts: [world.account], roles: ['lkp-host'] }];
    writeFileSync(ca.config, JSON.stringify(config));
    signer = await startLocalSigner(
      ca.config,
      [],
      world.env(world.signer, { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_CONFIG_FILE: awsConfig, AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'), AWS_EC2_METADATA_DISABLED: 'true' }),
    );
    hostKey = readPub(await genKey(dir, 'host'));
  }, 120_000);
  afterAll(async () => {
    await signer?.stop();
    await world?.close();
    if (ca) rmSync(path.dirname(ca.dir), { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const hostCert = async () => {
    const who = await world.session('lkp-host', hostId);
    const proof = await createAwsProof({ credentials: who, region: 'us-east-1', audience: ca.serverId, digest: requestDigest({ action: 'host-cert', publicKeys: [parsePublicKey(hostKey)] }) });
    return invokeJson(lambdaClient(signer.url), { version: 1, action: 'host-cert', identity: { method: 'aws', proof }, publicKeys: [hostKey] });
  };

  it('fail/credentials that expired are resolved again, not kept for ever', async () => {
    const before = await hostCert();
    expect(before.body.error, JSON.stringify(before.body)).toBeUndefined();
    // Let the first credentials expire, and make AWS forget them as it would.
    await new Promise((r) => setTimeout(r, A_LIFETIME_MS + 500));
    await world.forget(first);
    const after = await hostCert();
    expect(after.body.error, JSON.stringify(after.body)).toBeUndefined();
    expect((after.body.certificates as unknown[]).length).toBe(1);
    expect(world.callsTo('ec2').at(-1)?.arn).toBe(`arn:aws:iam::${world.account}:user/lkp-signer-second`);
  });
});
