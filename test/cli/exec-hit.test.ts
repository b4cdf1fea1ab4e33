// `lkp ssh exec` with a cached certificate, from the user's side: it starts ssh with the
// cached certificate after loading ONE file of lkp (dist/bundle/exec-hit.cjs), no command
// table, no yargs, no AWS SDK, no ES module at all; without a cached certificate it leaves
// the run to the full CLI, which reports as always. The files node loads are recorded by
// a preload (CommonJS modules) and a module hook (ES modules).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { cachePaths, writeCacheEntry } from '../../src/client/cert-cache.js';
import { ensureKeyPair } from '../../src/client/keypair.js';
import { emptyKrl } from '../../src/krl/check-krl.js';
import { fingerprint } from '../../src/ssh/public-key.js';
import { lkp } from '../helpers/lkp.js';
import { currentUser } from '../helpers/openssh.js';
import { tempDir } from '../helpers/temp.js';

const ID = 'i-0123456789abcdef0';
const ARN = `arn:aws:ec2:us-east-1:111122223333:instance/${ID}`;

describe('lkp ssh exec, cache hit', () => {
  const dir = tempDir('lkp-exec-hit-');
  const home = path.join(dir, 'home');
  const bin = path.join(dir, 'bin');
  const loaded = path.join(dir, 'loaded.txt');
  const argvFile = path.join(dir, 'ssh-argv.txt');
  // The signer's KRL copy, as a miss leaves it (fresh): ssh's RevokedHostKeys.
  const krl = path.join(home, 'revoked_keys.lkp-signer');
  const login = currentUser();
  let env: Record<string, string>;

  beforeAll(async () => {
    mkdirSync(home, { mode: 0o700 });
    mkdirSync(bin);
    // A stand-in ssh: records its argv.
    writeFileSync(path.join(bin, 'ssh'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\nexit 7\n`, { mode: 0o755 });
    // A module hook that lists every ES module node loads, and a preload that lists the
    // CommonJS ones at exit.
    const hooks = path.join(dir, 'hooks.mjs');
    writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(loaded)}, url + '\\n');\n  return next(url, context);\n}\n`);
    const register = path.join(dir, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const cjs = path.join(dir, 'cjs-list.cjs');
    writeFileSync(cjs, `process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(loaded)}, Object.keys(require.cache).filter((f) => f !== __filename).map((f) => require('node:url').pathToFileURL(f).href + '\\n').join('')));\n`);
    // A cached certificate for (instance, login), signed by a CA made here.
    const key = await ensureKeyPair(path.join(home, 'id_ed25519'), 'test');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'ca')]);
    writeFileSync(path.join(dir, 'user.pub'), `${key.publicLine}\n`);
    execFileSync('ssh-keygen', ['-q', '-s', path.join(dir, 'ca'), '-I', 'test', '-n', `${login}@${ID}`, '-V', '-5m:+1h', path.join(dir, 'user.pub')]);
    const paths = cachePaths(path.join(home, 'cache'), { signer: 'lkp-signer', instanceId: ID, login, keyFingerprint: fingerprint(key.key), addressMode: 'fixed:127.0.0.1' });
    const validBefore = Math.floor(Date.now() / 1000) + 3600;
    writeFileSync(krl, emptyKrl(new Date()));
    await writeCacheEntry(paths, { version: 1, certificate: readFileSync(path.join(dir, 'user-cert.pub'), 'utf8').trim(), principal: `${login}@${ID}`, address: '127.0.0.1', hostCaKeys: [readFileSync(path.join(dir, 'ca.pub'), 'utf8').trim()], validBefore });
    env = {
      LKP_HOME: home,
      LKP_CONFIG: '',
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
      NODE_OPTIONS: `--require ${cjs} --import ${pathToFileURL(register).href}`,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: path.join(dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  });

  const lkpFiles = () =>
    readFileSync(loaded, 'utf8')
      .trim()
      .split('\n')
      .filter((u) => !u.startsWith(pathToFileURL(dir).href))
      .map((u) => path.basename(new URL(u).pathname));

  it('ok/a hit runs ssh with the cached certificate, loading one file of lkp besides bin/lkp.js, no ES module', async () => {
    writeFileSync(loaded, '');
    const r = await lkp(['ssh', 'exec', '--instance-arn', ARN, '--user', login, '--address', '127.0.0.1', '--port', '2222', '--', 'uptime'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(7); // ssh's exit code
    const argv = readFileSync(argvFile, 'utf8');
    expect(argv).toContain(`HostKeyAlias=${ID}`);
    expect(argv).toMatch(/CertificateFile=.*-cert\.pub/);
    expect(argv).toContain(`RevokedHostKeys="${krl}"`);
    expect(argv).toContain('uptime');
    expect([...new Set(lkpFiles())].sort()).toEqual(['exec-hit.cjs', 'lkp.js']);
  });

  it('fail/a miss (another login, no credentials) is left to the full CLI, which reports it with its code', async () => {
    writeFileSync(loaded, '');
    const r = await lkp(['ssh', 'exec', '--instance-arn', ARN, '--user', 'nobody', '--address', '127.0.0.1', '--', 'true'], { env });
    expect(r.stderr).toMatch(/^lkp: AwsCredentialsMissing: /);
    expect(r.code).toBe(33);
    expect(lkpFiles()).toContain('main.mjs');
  });

  it('fail/a usage error is reported by the full CLI (same code as before)', async () => {
    const r = await lkp(['ssh', 'exec', '--instance-arn', ARN, '--user', login, '--address', '127.0.0.1', '--port', '0', '--', 'true'], { env });
    expect(r.stderr).toMatch(/^lkp: UsageError: /);
    expect(r.code).toBe(21);
  });

  it('fail/a KRL copy older than the bound is left to the full CLI, which tries to refresh it first', async () => {
    const hit = ['ssh', 'exec', '--instance-arn', ARN, '--user', login, '--address', '127.0.0.1', '--', 'true'];
    try {
      const old = new Date(Date.now() - 16 * 60_000);
      utimesSync(krl, old, old);
      writeFileSync(loaded, '');
      const stale = await lkp(hit, { env });
      // No credentials here: the refresh fails, the full CLI says so and uses the last copy.
      expect(stale.stderr).toMatch(/^lkp: warning: host revocation list not refreshed \(AwsCredentialsMissing/);
      expect(stale.code).toBe(7);
      expect(lkpFiles()).toContain('main.mjs');
      expect(readFileSync(argvFile, 'utf8')).toContain(`RevokedHostKeys="${krl}"`);
    } finally {
      writeFileSync(krl, emptyKrl(new Date()));
    }
  });

  it('ok/a transport (--via, or the signer\'s "via") is left to the full CLI, which resolves its route', async () => {
    writeFileSync(loaded, '');
    const r = await lkp(['ssh', 'exec', '--instance-arn', ARN, '--user', login, '--via', 'eice', '--', 'true'], { env });
    // No credentials: the full CLI cannot look the endpoint up, and says so with its code.
    expect(r.stderr).toMatch(/^lkp: AwsCredentialsMissing: /);
    expect(r.code).toBe(33);
    expect(lkpFiles()).toContain('main.mjs');
  });
});
