// What reaches ssh's command line and configs from outside lkp's own code: --address, and
// the address and host CA keys a cache entry holds (someone may have written it). With the
// real ssh: nothing there may become an ssh option, a config directive or a known_hosts line.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { ARN, cacheCertificate, offlineEnv } from '../helpers/cached-cert.js';
import { lkp } from '../helpers/lkp.js';
import { currentUser } from '../helpers/openssh.js';
import { tempDir } from '../helpers/temp.js';

const login = currentUser();

const setup = async (opts: Parameters<typeof cacheCertificate>[3]) => {
  const dir = tempDir('lkp-exec-address-');
  const home = path.join(dir, 'home');
  const marker = path.join(dir, 'proxy-ran');
  const { caPublic } = await cacheCertificate(dir, home, login, opts);
  return { dir, home, marker, caPublic, env: offlineEnv(dir, home) };
};

describe('lkp ssh exec: addresses and host CA keys from outside', () => {
  it('fail/an --address ssh would read as an option is refused before ssh runs', async () => {
    const { env, marker } = await setup({ addressMode: 'private' });
    for (const address of [`-oProxyCommand=touch ${marker}`, '127.0.0.1\n    ProxyCommand sh', '127.0.0.1 -v']) {
      const r = await lkp(['ssh', 'exec', '--instance-arn', ARN, '--user', login, '--address', address, '--', 'true'], { env });
      expect(r.stderr).toMatch(/^lkp: UsageError: /);
      expect(r.code).toBe(ERROR_CODES.UsageError);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('fail/a cached address that is an ssh option is not used: the entry counts as a miss (here: no credentials to fetch another)', async () => {
    const dir = tempDir('lkp-exec-address-');
    const marker = path.join(dir, 'proxy-ran');
    const home = path.join(dir, 'home');
    await cacheCertificate(dir, home, login, { addressMode: 'private', entry: { address: `-oProxyCommand=touch ${marker}` } });
    const r = await lkp(['ssh', 'exec', '--instance-arn', ARN, '--user', login, '--', 'true'], { env: offlineEnv(dir, home) });
    expect(r.stderr).toMatch(/^lkp: AwsCredentialsMissing: /);
    expect(r.code).toBe(ERROR_CODES.AwsCredentialsMissing);
    expect(existsSync(marker)).toBe(false);
  });

  it('fail/a cached address with a line break is not written as a HostName into the jump config', async () => {
    const dir = tempDir('lkp-exec-address-');
    const marker = path.join(dir, 'proxy-ran');
    const home = path.join(dir, 'home');
    // The target through itself as a bastion: both hops hit (the bastion's entry is for its public address, preferred).
    await cacheCertificate(dir, home, login, { addressMode: ['private', 'prefer-public'], entry: { address: `127.0.0.1\n    ProxyCommand touch ${marker}` } });
    const r = await lkp(['ssh', 'exec', '--instance-arn', ARN, '--user', login, '--jump', ARN, '--', 'true'], { env: offlineEnv(dir, home) });
    expect(r.code).toBe(ERROR_CODES.AwsCredentialsMissing);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(path.join(home, 'jump'))).toBe(false);
  });

  it("fail/cached host CA keys smuggling another known_hosts line are not written: the entry counts as a miss", async () => {
    const dir = tempDir('lkp-exec-address-');
    const home = path.join(dir, 'home');
    const attacker = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl attacker';
    // A first, honest hit writes lkp's known_hosts; then the entry is rewritten.
    const { caPublic } = await cacheCertificate(dir, home, login, { addressMode: 'fixed:127.0.0.1' });
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'ssh'), '#!/bin/sh\nexit 7\n', { mode: 0o755 });
    const env = { ...offlineEnv(dir, home), PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
    const run = () => lkp(['ssh', 'exec', '--instance-arn', ARN, '--user', login, '--address', '127.0.0.1', '--', 'true'], { env });
    expect((await run()).code).toBe(7);
    const known = path.join(home, 'known_hosts.lkp-signer');
    expect(readFileSync(known, 'utf8')).toContain(caPublic);
    const cache = path.join(home, 'cache');
    const json = path.join(cache, readdirSync(cache).find((f) => f.endsWith('.json')) as string);
    writeFileSync(json, JSON.stringify({ ...(JSON.parse(readFileSync(json, 'utf8')) as object), hostCaKeys: [`${caPublic}\n@cert-authority * ${attacker}`] }));
    const r = await run();
    expect(r.stderr).toMatch(/^lkp: AwsCredentialsMissing: /);
    expect(readFileSync(known, 'utf8')).not.toContain('attacker');
  });
});
