// `lkp host` end to end: the EC2 path (moto's STS, EC2 and IAM with IAM enforced, the
// instance's role credentials from sts:AssumeRole served by the IMDSv2 fake, `lkp signer serve`)
// and the join-token path, each followed by a real sshd started from the configuration lkp
// wrote and real ssh logins, host verified by certificate with StrictHostKeyChecking=yes.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestDigest } from '../../src/api/digest.js';
import { createAwsProof } from '../../src/aws/identity-proof.js';
import { parsePublicKey } from '../../src/ssh/public-key.js';
import { startFakeImds, type FakeImds } from '../fakes/imds.js';
import { EC2_TRUST, startMotoWorld, type MotoWorld } from '../helpers/moto-world.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { currentUser, genKey, readPub, runSsh, startSshd, tempDir, type RunningSshd } from '../helpers/openssh.js';
import { makeSandboxHost, type SandboxHost } from '../helpers/sandbox-host.js';

describe('lkp host on EC2 (IMDSv2 + aws identity) and with a join token', () => {
  let world: MotoWorld;
  let imds: FakeImds;
  // moto's ids and address for this instance and another one of the fleet.
  let TEST_INSTANCE_ID: string;
  let OTHER_INSTANCE: string;
  let privateIp: string;
  let ca: LocalCa;
  let signer: LocalSigner;
  let client: LambdaClient;
  const login = currentUser();
  const laptop = tempDir('lkp-laptop-');
  const running: RunningSshd[] = [];

  beforeAll(async () => {
    world = await startMotoWorld();
    await world.role('lkp-host', EC2_TRUST, { instanceProfile: true });
    const self = await world.launch({ tags: { Team: 'payments' } });
    TEST_INSTANCE_ID = self.InstanceId ?? '';
    privateIp = self.PrivateIpAddress ?? '';
    OTHER_INSTANCE = (await world.launch({ tags: { Team: 'payments' } })).InstanceId ?? '';
    const credentials = await world.session('lkp-host', TEST_INSTANCE_ID);
    imds = await startFakeImds({ instanceId: TEST_INSTANCE_ID, accountId: world.account, privateIp, roleCredentials: { ...credentials, sessionToken: credentials.sessionToken ?? '' } });
    ca = await makeLocalCa();
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as { rules: unknown[] };
    config.rules.push(
      { name: 'fleet hosts', for: 'host', method: 'aws', accounts: [world.account], roles: ['lkp-host'], instanceProfiles: ['lkp-host'] },
      { name: 'admins', for: 'user', method: 'aws', callers: ['arn:aws:sts::*:assumed-role/AWSReservedSSO_Admin_*/*'], instances: { tags: { Team: 'payments' } }, logins: ['*'] },
    );
    writeFileSync(ca.config, JSON.stringify(config));
    signer = await startLocalSigner(ca.config, [], world.env());
    client = lambdaClient(signer.url);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop()));
    await signer?.stop();
    await imds?.close();
    await world?.close();
  });

  const hostEnv = () => ({ AWS_ENDPOINT_URL_LAMBDA: signer.url, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });

  const userCert = async (target: string, user: string, keyName: string): Promise<string> => {
    const key = await genKey(laptop, keyName);
    const who = await world.sso('alice@example.com');
    const proof = await createAwsProof({ credentials: who, region: 'us-east-1', audience: ca.serverId, digest: requestDigest({ action: 'user-cert', publicKeys: [parsePublicKey(readPub(key))], login: user, target }) });
    const { body } = await invokeJson(client, { version: 1, action: 'user-cert', identity: { method: 'aws', proof }, publicKey: readPub(key), login: user, target });
    expect(body.error, JSON.stringify(body.error)).toBeUndefined();
    writeFileSync(`${key}-cert.pub`, `${(body.certificate as { certificate: string }).certificate}\n`);
    return key;
  };

  const sshAs = (sshd: RunningSshd, key: string, user: string, alias: string, knownHosts: string) =>
    runSsh(['-i', key, '-o', 'IdentitiesOnly=yes', '-o', `CertificateFile=${key}-cert.pub`, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', `HostKeyAlias=${alias}`, '-p', String(sshd.port), `${user}@127.0.0.1`, 'echo', 'in:$(whoami)']);

  it('ok/EC2 path: lkp host configures sshd; only a certificate for this instance and login opens it', async () => {
    const host: SandboxHost = await makeSandboxHost();
    const r = await lkp(['host', '--ssh-dir', host.sshDir, '--users', login, '--no-reload'], { env: hostEnv() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${login}@${TEST_INSTANCE_ID}`);
    expect(readFileSync(path.join(host.sshDir, 'lkp/principals', login), 'utf8')).toBe(`${login}@${TEST_INSTANCE_ID}\n`);
    expect(imds.tokensIssued()).toBeGreaterThan(0);
    expect(world.callsTo('sts').at(-1)?.arn).toBe(`arn:aws:sts::${world.account}:assumed-role/lkp-host/${TEST_INSTANCE_ID}`);

    const sshd = await startSshd(host.sshdConfig);
    running.push(sshd);
    const knownHosts = path.join(laptop, 'known_hosts');
    writeFileSync(knownHosts, `@cert-authority ${TEST_INSTANCE_ID} ${readFileSync(path.join(ca.dir, 'host_ca.pub'), 'utf8')}`);

    const good = await userCert(TEST_INSTANCE_ID, login, 'id_good');
    const ok = await sshAs(sshd, good, login, TEST_INSTANCE_ID, knownHosts);
    expect(ok.stderr).toBe('');
    expect(ok.stdout.trim()).toBe(`in:${login}`);

    const otherInstance = await userCert(OTHER_INSTANCE, login, 'id_other_instance');
    expect((await sshAs(sshd, otherInstance, login, TEST_INSTANCE_ID, knownHosts)).code).toBe(255);

    const otherLogin = await userCert(TEST_INSTANCE_ID, 'daemon', 'id_other_login');
    expect((await sshAs(sshd, otherLogin, 'daemon', TEST_INSTANCE_ID, knownHosts)).code).toBe(255);
    expect((await sshAs(sshd, otherLogin, login, TEST_INSTANCE_ID, knownHosts)).code).toBe(255);

    // The host certificate names this instance only: under another instance's name, ssh refuses it.
    const asOther = await sshAs(sshd, good, login, OTHER_INSTANCE, path.join(laptop, 'kh-other'));
    expect(asOther.code).toBe(255);
  });

  it('ok/join-token path: the same, for a host outside AWS', async () => {
    const host = await makeSandboxHost({ keyTypes: ['ed25519', 'rsa-3072'] });
    const token = (await lkp(['signer', 'token', 'create', '--config', ca.config, '--principal', 'build-box'])).stdout.trim();
    const r = await lkp(['host', '--join-token', token, '--ssh-dir', host.sshDir, '--users', login, '--no-reload'], { env: { AWS_ENDPOINT_URL_LAMBDA: signer.url } });
    expect(r.code, r.stderr).toBe(0);
    const sshd = await startSshd(host.sshdConfig);
    running.push(sshd);
    const knownHosts = path.join(laptop, 'known_hosts_jt');
    writeFileSync(knownHosts, `@cert-authority build-box ${readFileSync(path.join(ca.dir, 'host_ca.pub'), 'utf8')}`);
    const key = await genKey(laptop, 'id_jt');
    const userToken = (await lkp(['signer', 'token', 'create', '--config', ca.config, '--for', 'user', '--principal', `${login}@build-box`])).stdout.trim();
    const c = await lkp(['ssh', 'cert', '--join-token', userToken, '--target', 'build-box', '--user', login, '--identity', key], { env: { AWS_ENDPOINT_URL_LAMBDA: signer.url } });
    expect(c.code, c.stderr).toBe(0);
    const ok = await sshAs(sshd, key, login, 'build-box', knownHosts);
    expect(ok.stdout.trim()).toBe(`in:${login}`);
    const wrongLogin = await sshAs(sshd, key, 'daemon', 'build-box', knownHosts);
    expect(wrongLogin.code).toBe(255);
  });

  it('fail/a signer that swaps the user CA is refused unless pinned or accepted explicitly', async () => {
    const host = await makeSandboxHost();
    const first = await lkp(['host', '--join-token', ca.mint({ principals: ['ca-host'] }), '--ssh-dir', host.sshDir, '--users', login, '--no-reload'], { env: { AWS_ENDPOINT_URL_LAMBDA: signer.url } });
    expect(first.code, first.stderr).toBe(0);
    const trusted = readFileSync(path.join(host.sshDir, 'lkp/trusted_user_ca_keys.pub'));
    const rogue = await makeLocalCa();
    const rogueSigner = await startLocalSigner(rogue.config);
    try {
      const swapped = await lkp(['host', '--join-token', rogue.mint({ principals: ['ca-host'] }), '--ssh-dir', host.sshDir, '--users', login, '--no-reload'], { env: { AWS_ENDPOINT_URL_LAMBDA: rogueSigner.url } });
      expect(swapped.code).toBe(31);
      expect(swapped.stderr).toMatch(/share none with the ones this host trusts/);
      expect(readFileSync(path.join(host.sshDir, 'lkp/trusted_user_ca_keys.pub')).equals(trusted)).toBe(true);
      const pinned = await lkp(['host', '--join-token', rogue.mint({ principals: ['ca-host'] }), '--ssh-dir', host.sshDir, '--users', login, '--no-reload', '--user-ca-fingerprint', 'SHA256:notthisone'], { env: { AWS_ENDPOINT_URL_LAMBDA: rogueSigner.url } });
      expect(pinned.code).toBe(31);
      expect(pinned.stderr).toMatch(/does not pin/);
      const accepted = await lkp(['host', '--join-token', rogue.mint({ principals: ['ca-host'] }), '--ssh-dir', host.sshDir, '--users', login, '--no-reload', '--accept-new-user-ca'], { env: { AWS_ENDPOINT_URL_LAMBDA: rogueSigner.url } });
      expect(accepted.code, accepted.stderr).toBe(0);
    } finally {
      await rogueSigner.stop();
    }
  });

  it('fail/not on EC2 and no token: a clear error, nothing written', async () => {
    const host = await makeSandboxHost();
    const before = readFileSync(host.sshdConfig);
    const r = await lkp(['host', '--ssh-dir', host.sshDir, '--users', login], { env: { AWS_ENDPOINT_URL_LAMBDA: signer.url, AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' } });
    expect(r.code).toBe(32);
    expect(r.stderr).toMatch(/not on EC2\? use --join-token/);
    expect(readFileSync(host.sshdConfig).equals(before)).toBe(true);
    expect(existsSync(path.join(host.sshDir, 'lkp'))).toBe(false);
  });

  it('fail/a denied host or an unknown login changes nothing and says why', async () => {
    const host = await makeSandboxHost();
    const before = readFileSync(host.sshdConfig);
    const denied = await lkp(['host', '--join-token', 'lkpjt1.bogus.token', '--ssh-dir', host.sshDir, '--users', login], { env: { AWS_ENDPOINT_URL_LAMBDA: signer.url } });
    expect(denied.code).toBe(3);
    expect(denied.stderr).toMatch(/signer refused: join token rejected/);
    const noUser = await lkp(['host', '--join-token', 'x', '--ssh-dir', host.sshDir, '--users', 'no-such-user-lkp'], { env: { AWS_ENDPOINT_URL_LAMBDA: signer.url } });
    expect(noUser.code).toBe(43);
    expect(noUser.stderr).toMatch(/no such user on this machine: no-such-user-lkp/);
    // --retry-for 0: no boot-time window (test/e2e/lkp-host-retry.test.ts covers it).
    const unreachable = await lkp(['host', '--join-token', 'x', '--ssh-dir', host.sshDir, '--users', login, '--retry-for', '0'], { env: { AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:9' } });
    expect(unreachable.code).toBe(30);
    expect(readFileSync(host.sshdConfig).equals(before)).toBe(true);
    expect(existsSync(path.join(host.sshDir, 'lkp'))).toBe(false);
  });

  it('ok/dry-run prints files and the diff and changes nothing; status, renew-if-needed and uninstall', async () => {
    const host = await makeSandboxHost();
    const original = readFileSync(host.sshdConfig);
    const env = hostEnv();
    const stsBefore = world.callsTo('sts').length;
    const auditBefore = signer.audit().length;
    const dry = await lkp(['host', '--ssh-dir', host.sshDir, '--users', login, '--dry-run'], { env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/\+TrustedUserCAKeys /);
    // Expected from IMDS facts, not verified; no identity proof checked, nothing issued.
    expect(dry.stdout).toMatch(new RegExp(`expected principals.*${TEST_INSTANCE_ID}, ${privateIp.replaceAll('.', '\\.')}`));
    expect(world.callsTo('sts').length).toBe(stsBefore);
    expect(signer.audit().slice(auditBefore).filter((a) => a.outcome === 'issued')).toEqual([]);
    expect(readFileSync(host.sshdConfig).equals(original)).toBe(true);
    expect(existsSync(path.join(host.sshDir, 'lkp'))).toBe(false);

    expect((await lkp(['host', 'status', '--ssh-dir', host.sshDir])).code).toBe(12);
    expect((await lkp(['host', '--ssh-dir', host.sshDir, '--users', login, '--no-reload'], { env })).code).toBe(0);
    const status = await lkp(['host', 'status', '--ssh-dir', host.sshDir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`principals: ${TEST_INSTANCE_ID}`);
    const stsCalls = world.callsTo('sts').length;
    const renew = await lkp(['host', '--renew-if-needed', '--ssh-dir', host.sshDir, '--users', login, '--no-reload'], { env });
    expect(renew.stdout).toMatch(/not due for renewal/);
    expect(world.callsTo('sts').length).toBe(stsCalls);
    // A host key changed: renewal is due, and --renew-if-needed renews.
    await genKey(host.root, 'newkey');
    writeFileSync(path.join(host.sshDir, 'ssh_host_ecdsa_key.pub'), readFileSync(path.join(host.root, 'newkey.pub')));
    writeFileSync(path.join(host.sshDir, 'ssh_host_ecdsa_key'), readFileSync(path.join(host.root, 'newkey')));
    expect((await lkp(['host', 'status', '--ssh-dir', host.sshDir])).code).toBe(12);
    const renewed = await lkp(['host', '--renew-if-needed', '--ssh-dir', host.sshDir, '--users', login, '--no-reload'], { env });
    expect(renewed.stdout).toMatch(/host key changed.*renewing/);
    expect((await lkp(['host', 'status', '--ssh-dir', host.sshDir])).code).toBe(0);

    const un = await lkp(['host', '--uninstall', '--ssh-dir', host.sshDir, '--no-reload']);
    expect(un.code, un.stderr).toBe(0);
    expect(readFileSync(host.sshdConfig).equals(original)).toBe(true);
    expect(existsSync(path.join(host.sshDir, 'lkp'))).toBe(false);
  });
});
