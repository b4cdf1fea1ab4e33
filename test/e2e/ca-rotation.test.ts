// A CA rotation, end to end, for the user CA and for the host CA: `lkp ca rotate` edits the
// config of a running `lkp signer serve` (which picks it up without a restart), the host
// renews with `lkp host` at every phase (its continuity check must accept each step), a real
// sshd runs from what lkp wrote, and real ssh logs in with StrictHostKeyChecking=yes and
// BatchMode, the host verified only through the @cert-authority lines lkp writes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureKnownHosts } from '../../src/client/known-hosts.js';
import { parseCertificate } from '../../src/ssh/parse-certificate.js';
import { fingerprint, parsePublicKey } from '../../src/ssh/public-key.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { currentUser, runSsh, startSshd, tempDir, type RunningSshd } from '../helpers/openssh.js';
import { makeSandboxHost, type SandboxHost } from '../helpers/sandbox-host.js';

const ROTATION_TOO_EARLY = 56;
const HOST = 'rot-box';

interface World {
  ca: LocalCa;
  signer: LocalSigner;
  host: SandboxHost;
  sshd?: RunningSshd;
  laptop: string;
}

const caKeys = async (w: World): Promise<{ host: string[]; user: string[] }> => {
  const { body } = await invokeJson(lambdaClient(w.signer.url), { version: 1, action: 'ca-keys' });
  return { host: body.hostCaKeys as string[], user: body.userCaKeys as string[] };
};

/** Waits until the running signer publishes `count` keys for the role, the first one `first` when given. */
const signerFollows = async (w: World, role: 'host' | 'user', count: number, first?: string): Promise<string[]> => {
  for (let i = 0; i < 100; i += 1) {
    const keys = (await caKeys(w))[role];
    if (keys.length === count && (!first || fingerprint(parsePublicKey(keys[0] as string)) === first)) return keys;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the signer did not pick up the new ${role} CA config: ${w.signer.stderr()}`);
};

const rotate = (w: World, step: string, role: 'host' | 'user', extra: string[] = []) => lkp(['ca', 'rotate', step, '--config', w.ca.config, '--ca', role, ...extra]);

const issuedCount = (w: World): number => w.signer.audit().filter((a) => a.outcome === 'issued').length;

/**
 * `lkp host` with a fresh join token (a renewal; with `ifNeeded`, as the renewal timer runs
 * it), then sshd restarted on what it wrote. Says whether the signer issued host certificates.
 */
const renewHost = async (w: World, opts: { ifNeeded?: boolean } = {}): Promise<boolean> => {
  const before = issuedCount(w);
  const lines = w.signer.audit().length;
  const r = await lkp(['host', '--join-token', w.ca.mint({ principals: [HOST] }), '--ssh-dir', w.host.sshDir, '--users', currentUser(), '--no-reload', ...(opts.ifNeeded ? ['--renew-if-needed'] : [])], { env: { AWS_ENDPOINT_URL_LAMBDA: w.signer.url } });
  expect(r.code, r.stderr).toBe(0);
  await w.sshd?.stop();
  w.sshd = await startSshd(w.host.sshdConfig);
  await w.signer.waitForAudit(lines + 1); // every run asks ca-keys at least
  return issuedCount(w) > before;
};

/** What a laptop writes from the signer's host CA keys: one @cert-authority line each. */
const laptopKnownHosts = async (w: World): Promise<string> => ensureKnownHosts(w.laptop, 'rotation', (await caKeys(w)).host);

/** A fresh user key with a certificate from the signer (through `lkp ssh cert`). */
const userCert = async (w: World, name: string): Promise<string> => {
  const identity = path.join(w.laptop, name);
  const token = w.ca.mint({ for: 'user', principals: [`${currentUser()}@${HOST}`] });
  const r = await lkp(['ssh', 'cert', '--join-token', token, '--target', HOST, '--user', currentUser(), '--identity', identity], { env: { AWS_ENDPOINT_URL_LAMBDA: w.signer.url } });
  expect(r.code, r.stderr).toBe(0);
  return identity;
};

const signedBy = (identity: string): string => fingerprint(parseCertificate(readFileSync(`${identity}-cert.pub`, 'utf8')).signatureKey);
const hostCertSignedBy = (w: World): string => fingerprint(parseCertificate(readFileSync(path.join(w.host.sshDir, 'lkp/ssh_host_ed25519_key-cert.pub'), 'utf8')).signatureKey);

const login = async (w: World, identity: string, knownHosts: string) => {
  const r = await runSsh(['-i', identity, '-o', 'IdentitiesOnly=yes', '-o', `CertificateFile=${identity}-cert.pub`, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', `HostKeyAlias=${HOST}`, '-p', String(w.sshd?.port), `${currentUser()}@127.0.0.1`, 'echo', 'in']);
  return r;
};

const expectLogin = async (w: World, identity: string, knownHosts: string): Promise<void> => {
  const r = await login(w, identity, knownHosts);
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('in');
};

const trusted = (w: World, file: 'trusted_user_ca_keys.pub' | 'host_ca_keys.pub'): string[] =>
  readFileSync(path.join(w.host.sshDir, 'lkp', file), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => fingerprint(parsePublicKey(l)));

const setUp = async (): Promise<World> => {
  const ca = await makeLocalCa();
  const w: World = { ca, signer: await startLocalSigner(ca.config), host: await makeSandboxHost({ keyTypes: ['ed25519'] }), laptop: tempDir('lkp-laptop-') };
  await renewHost(w);
  return w;
};

const fingerprintOf = (line: string): string => fingerprint(parsePublicKey(line));

describe('CA rotation with a real sshd at every phase', () => {
  const worlds: World[] = [];
  afterAll(async () => {
    for (const w of worlds) {
      await w.sshd?.stop();
      await w.signer.stop();
    }
  });

  it('ok/user CA: add-next, promote (refused without --force right after add-next), retire; logins keep working, host verification never prompts', async () => {
    const w = await setUp();
    worlds.push(w);
    const known = await laptopKnownHosts(w);
    const [current] = (await caKeys(w)).user.map(fingerprintOf);
    const before = await userCert(w, 'id_before');
    await expectLogin(w, before, known);
    // Nothing changed yet: the renewal timer's run issues nothing.
    expect(await renewHost(w, { ifNeeded: true })).toBe(false);

    // add-next: both published, current still signs; the host trusts both after renewing.
    const add = await rotate(w, 'add-next', 'user', ['--json']);
    expect(add.code, add.stderr).toBe(0);
    const next = (JSON.parse(add.stdout) as { keys: Array<{ fingerprint: string; role: string }> }).keys.find((k) => k.role === 'next')?.fingerprint as string;
    await signerFollows(w, 'user', 2, current);
    // The renewal timer's run renews although every certificate is valid: the key list changed.
    expect(await renewHost(w, { ifNeeded: true })).toBe(true);
    expect(trusted(w, 'trusted_user_ca_keys.pub').sort()).toEqual([current, next].sort());
    await expectLogin(w, before, known);
    const afterAdd = await userCert(w, 'id_after_add');
    expect(signedBy(afterAdd)).toBe(current);
    await expectLogin(w, afterAdd, known);

    // promote right after add-next: refused (the host above renewed, but the fleet may not have).
    const configBefore = readFileSync(w.ca.config, 'utf8');
    const early = await rotate(w, 'promote', 'user');
    expect(early.code).toBe(ROTATION_TOO_EARLY);
    expect(readFileSync(w.ca.config, 'utf8')).toBe(configBefore);
    const forced = await rotate(w, 'promote', 'user', ['--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/warning/);
    await signerFollows(w, 'user', 2, next);
    await renewHost(w);
    await expectLogin(w, before, known);
    const afterPromote = await userCert(w, 'id_after_promote');
    expect(signedBy(afterPromote)).toBe(next);
    await expectLogin(w, afterPromote, known);

    // retire: only next is left anywhere; what next signed keeps working, the old key's certificate stops.
    expect((await rotate(w, 'retire', 'user')).code).toBe(ROTATION_TOO_EARLY);
    const retire = await rotate(w, 'retire', 'user', ['--force']);
    expect(retire.code, retire.stderr).toBe(0);
    await signerFollows(w, 'user', 1, next);
    await renewHost(w);
    expect(trusted(w, 'trusted_user_ca_keys.pub')).toEqual([next]);
    await expectLogin(w, afterPromote, known);
    await expectLogin(w, await userCert(w, 'id_after_retire'), known);
    expect((await login(w, before, known)).code).toBe(255);
  });

  it('ok/host CA: add-next, promote, retire; the laptop writes both host CA keys, drops the retired one, and host verification never prompts', async () => {
    const w = await setUp();
    worlds.push(w);
    const [current] = (await caKeys(w)).host.map(fingerprintOf);
    const known = await laptopKnownHosts(w);
    const person = await userCert(w, 'id_person');
    await expectLogin(w, person, known);

    const add = await rotate(w, 'add-next', 'host', ['--json']);
    expect(add.code, add.stderr).toBe(0);
    const next = (JSON.parse(add.stdout) as { keys: Array<{ fingerprint: string; role: string }> }).keys.find((k) => k.role === 'next')?.fingerprint as string;
    await signerFollows(w, 'host', 2, current);
    await renewHost(w);
    expect(hostCertSignedBy(w)).toBe(current);
    expect(trusted(w, 'host_ca_keys.pub').sort()).toEqual([current, next].sort());
    // The laptop's known_hosts now names both host CA keys.
    await laptopKnownHosts(w);
    expect(readFileSync(known, 'utf8').match(/^@cert-authority \* /gm)).toHaveLength(2);
    await expectLogin(w, person, known);

    expect((await rotate(w, 'promote', 'host')).code).toBe(ROTATION_TOO_EARLY);
    expect((await rotate(w, 'promote', 'host', ['--force'])).code).toBe(0);
    await signerFollows(w, 'host', 2, next);
    // Same key list, but its certificate comes from a key that no longer signs: the timer's run renews.
    expect(await renewHost(w, { ifNeeded: true })).toBe(true);
    // The host now presents a certificate from next: the laptop, which trusts both, accepts it.
    expect(hostCertSignedBy(w)).toBe(next);
    await expectLogin(w, person, known);
    await expectLogin(w, await userCert(w, 'id_after_promote'), known);

    expect((await rotate(w, 'retire', 'host', ['--force'])).code).toBe(0);
    await signerFollows(w, 'host', 1, next);
    await renewHost(w);
    expect(trusted(w, 'host_ca_keys.pub')).toEqual([next]);
    await laptopKnownHosts(w);
    const lines = readFileSync(known, 'utf8').match(/^@cert-authority \* .*$/gm) ?? [];
    expect(lines.map((l) => fingerprintOf(l.replace(/^@cert-authority \* /, '')))).toEqual([next]);
    await expectLogin(w, person, known);
    await expectLogin(w, await userCert(w, 'id_after_retire'), known);
  });
});
