// `lkp host` itself (its runHost implementation, in process, against `lkp signer serve`)
// on every sshd_config in the corpus: afterwards sshd -t accepts the configuration, lkp's
// settings are what sshd will use, and a second run changes nothing, byte for byte.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHost } from '../../src/host/bootstrap.js';
import { systemUserExists } from '../../src/host/logins.js';
import { parseLogin } from '../../src/ssh/names.js';
import { validateSshdConfig } from '../../src/sshd/validate.js';
import { CORPUS_DIR, copyCorpusCase, installKeys, makeTempDir, makeTestKeys, sshdEffective, type TestKeys } from '../sshd/fixtures.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { currentUser } from '../helpers/openssh.js';

const cases = readdirSync(CORPUS_DIR, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

describe('lkp host over the sshd_config corpus', () => {
  let ca: LocalCa;
  let signer: LocalSigner;
  let keys: TestKeys;
  const login = currentUser();
  let previousEndpoint: string | undefined;

  beforeAll(async () => {
    ca = await makeLocalCa();
    signer = await startLocalSigner(ca.config);
    previousEndpoint = process.env.AWS_ENDPOINT_URL_LAMBDA;
    process.env.AWS_ENDPOINT_URL_LAMBDA = signer.url;
    keys = await makeTestKeys(await makeTempDir('lkp-corpus-keys-'));
  });
  afterAll(async () => {
    if (previousEndpoint !== undefined) process.env.AWS_ENDPOINT_URL_LAMBDA = previousEndpoint;
    await signer?.stop();
  });

  it('ok/the corpus holds at least 30 real-world configurations', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const name of cases) {
    it(`ok/${name}: valid after lkp host, effective, idempotent`, async () => {
      const dir = await makeTempDir(`lkp-corpus-${name}-`);
      await copyCorpusCase(name, dir);
      await installKeys(keys, dir);
      const config = path.join(dir, 'sshd_config');
      // A config without HostKey lines uses /etc/ssh's keys; in a sandbox the host keys live in dir.
      const text = readFileSync(config, 'latin1');
      if (!/^[ \t]*hostkey[ \t=]/im.test(text)) writeFileSync(config, `HostKey ${dir}/ssh_host_ed25519_key\nHostKey ${dir}/ssh_host_ecdsa_key\nHostKey ${dir}/ssh_host_rsa_key\n${text}`, 'latin1');
      const run = () =>
        runHost(
          { functionName: 'lkp-signer', joinToken: ca.mint({ principals: [`host-${name}`.slice(0, 60)] }), sshDir: dir, sshdConfig: config, sshdPath: '/usr/sbin/sshd', users: [parseLogin(login)], dryRun: false, reload: false, renewIfNeeded: false },
          { imds: () => { throw new Error('no IMDS in this test'); }, userExists: systemUserExists, now: () => new Date(), out: () => undefined },
        );
      await run();
      const verdict = await validateSshdConfig({ configPath: config });
      expect(verdict.ok, verdict.problems.join('; ')).toBe(true);
      const effective = await sshdEffective(config, login);
      expect(effective.get('trustedusercakeys')).toEqual([path.join(dir, 'lkp/trusted_user_ca_keys.pub')]);
      expect(effective.get('authorizedprincipalsfile')).toEqual([path.join(dir, 'lkp/principals/%u')]);
      // Every host key sshd loads from dir has lkp's certificate, and no other key does.
      const loadedKeys = (effective.get('hostkey') ?? []).filter((k) => k.startsWith(dir));
      expect(loadedKeys.length).toBeGreaterThan(0);
      expect(effective.get('hostcertificate')).toEqual(expect.arrayContaining(loadedKeys.map((k) => path.join(dir, 'lkp', `${path.basename(k)}-cert.pub`))));
      const snapshot = () => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && !e.parentPath.includes(`${path.sep}lkp`)).map((e) => [path.join(e.parentPath, e.name), readFileSync(path.join(e.parentPath, e.name), 'latin1')]);
      const before = snapshot();
      await run();
      expect(snapshot()).toEqual(before);
    });
  }
});
