// The certificate engine against the real OpenSSH: sshd accepts lkp user certificates and
// presents lkp host certificates that ssh verifies through @cert-authority, strictly.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cidr } from '../../src/ssh/source-address.js';
import { currentUser, genKey, readPub, runSsh, startSshd, tempDir, writePrivate, writeSshdConfig, type RunningSshd } from '../helpers/openssh.js';
import { makeCa, nowSec, signCert, type TestCa } from '../helpers/ca.js';

describe('real sshd with lkp certificates', () => {
  const dir = tempDir('lkp-e2e-');
  const login = currentUser();
  let sshd: RunningSshd;
  let userCa: TestCa;
  let hostCa: TestCa;
  let clientKey: string;
  let knownHosts: string;

  beforeAll(async () => {
    userCa = makeCa('ed25519');
    hostCa = makeCa('ecdsa-p256');
    const hostKey = await genKey(dir, 'ssh_host_ed25519_key');
    writeFileSync(`${hostKey}-cert.pub`, `${await signCert(hostCa, readPub(hostKey), { certType: 'host', principals: ['127.0.0.1', 'lkp-test-host'] })}\n`);
    writeFileSync(path.join(dir, 'user_ca.pub'), `${userCa.publicLine}\n`);
    mkdirSync(path.join(dir, 'principals'));
    writeFileSync(path.join(dir, 'principals', login), `${login}@lkp-test-host\n`);
    const config = writeSshdConfig(dir, [
      `HostKey ${hostKey}`,
      `HostCertificate ${hostKey}-cert.pub`,
      `TrustedUserCAKeys ${path.join(dir, 'user_ca.pub')}`,
      `AuthorizedPrincipalsFile ${path.join(dir, 'principals')}/%u`,
      'AuthorizedKeysFile none',
      'PermitRootLogin prohibit-password',
    ]);
    sshd = await startSshd(config);
    knownHosts = path.join(dir, 'known_hosts');
    writeFileSync(knownHosts, `@cert-authority lkp-test-host ${hostCa.publicLine}\n`);
    clientKey = await genKey(dir, 'id_ed25519');
  });
  afterAll(async () => sshd?.stop());

  const login_ = async (cert: string, extra: string[] = []) => {
    const certFile = `${clientKey}-cert.pub`;
    writeFileSync(certFile, `${cert}\n`);
    // ssh keeps the first value of an option, so overrides go first.
    return runSsh([
      ...extra, '-i', clientKey, '-o', `CertificateFile=${certFile}`, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${knownHosts}`,
      '-o', 'HostKeyAlias=lkp-test-host', '-p', String(sshd.port), `${login}@127.0.0.1`, 'echo', 'lkp-ok',
    ]);
  };

  it('ok/a user certificate logs in and the host certificate verifies with StrictHostKeyChecking=yes', async () => {
    const r = await login_(await signCert(userCa, readPub(clientKey), { principals: [`${login}@lkp-test-host`] }));
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('lkp-ok');
    expect(r.code).toBe(0);
  });

  it('fail/an expired certificate is refused', async () => {
    const r = await login_(await signCert(userCa, readPub(clientKey), { principals: [`${login}@lkp-test-host`], validAfter: nowSec() - 7200n, validBefore: nowSec() - 3600n }));
    expect(r.code).toBe(255);
    expect(sshd.log()).toMatch(/expired|Certificate invalid/);
  });

  it('fail/a certificate for another principal is refused', async () => {
    const r = await login_(await signCert(userCa, readPub(clientKey), { principals: [`${login}@other-host`] }));
    expect(r.code).toBe(255);
  });

  it('fail/a certificate from an untrusted CA is refused', async () => {
    const r = await login_(await signCert(makeCa(), readPub(clientKey), { principals: [`${login}@lkp-test-host`] }));
    expect(r.code).toBe(255);
  });

  it('fail/a source-address that does not match the client is refused', async () => {
    const r = await login_(await signCert(userCa, readPub(clientKey), { principals: [`${login}@lkp-test-host`], criticalOptions: { sourceAddress: ['10.9.9.0/24'] as Cidr[] } }));
    expect(r.code).toBe(255);
    expect(sshd.log()).toMatch(/source-address|not allowed|Certificate invalid/i);
  });

  it('ok/a matching source-address and force-command are honoured', async () => {
    const r = await login_(await signCert(userCa, readPub(clientKey), { principals: [`${login}@lkp-test-host`], criticalOptions: { sourceAddress: ['127.0.0.0/8'] as Cidr[], forceCommand: 'echo forced' } }));
    expect(r.stdout.trim()).toBe('forced');
  });

  it('fail/a host presenting a certificate from another CA is refused without a prompt', async () => {
    const otherKnown = path.join(dir, 'known_hosts_other');
    writeFileSync(otherKnown, `@cert-authority lkp-test-host ${makeCa().publicLine}\n`);
    const cert = await signCert(userCa, readPub(clientKey), { principals: [`${login}@lkp-test-host`] });
    const r = await login_(cert, ['-o', `UserKnownHostsFile=${otherKnown}`]);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/Host key verification failed|No .* host key is known/);
  });

  it('fail/the host certificate does not verify under another name', async () => {
    const cert = await signCert(userCa, readPub(clientKey), { principals: [`${login}@lkp-test-host`] });
    writeFileSync(knownHosts + '2', `@cert-authority other-name ${hostCa.publicLine}\n`);
    const r = await login_(cert, ['-o', `UserKnownHostsFile=${knownHosts}2`, '-o', 'HostKeyAlias=other-name']);
    expect(r.code).toBe(255);
  });
});
