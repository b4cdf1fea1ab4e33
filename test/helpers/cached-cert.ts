// A laptop home holding a cached user certificate for one instance, as a miss leaves it:
// the key pair, a certificate from a CA made here, the cache entry and a fresh KRL copy.
// `lkp ssh exec` and `lkp ssh prepare` then need neither the signer nor AWS. `entry`
// overrides what the cache entry says (an address or host CA keys someone planted).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cachePaths, writeCacheEntry, type CacheEntry } from '../../src/client/cert-cache.js';
import { ensureKeyPair } from '../../src/client/keypair.js';
import { emptyKrl } from '../../src/krl/check-krl.js';
import { fingerprint } from '../../src/ssh/public-key.js';

export const ID = 'i-0123456789abcdef0';
export const ARN = `arn:aws:ec2:us-east-1:111122223333:instance/${ID}`;

/** Environment for lkp with no AWS credentials at all: a miss fails as AwsCredentialsMissing. */
export const offlineEnv = (dir: string, home: string): Record<string, string> => ({
  LKP_HOME: home,
  LKP_CONFIG: '',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_SESSION_TOKEN: '',
  AWS_PROFILE: '',
  AWS_CONFIG_FILE: path.join(dir, 'no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-aws-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
});

/** Writes a cached certificate for (ID, login) into `home` (created 0700); `dir` holds the CA. */
export const cacheCertificate = async (dir: string, home: string, login: string, opts: { addressMode: string | readonly string[]; entry?: Partial<CacheEntry> }): Promise<{ caPublic: string }> => {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const key = await ensureKeyPair(path.join(home, 'id_ed25519'), 'test');
  const ca = path.join(dir, 'ca');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', ca]);
  writeFileSync(path.join(dir, 'user.pub'), `${key.publicLine}\n`);
  execFileSync('ssh-keygen', ['-q', '-s', ca, '-I', 'test', '-n', `${login}@${ID}`, '-V', '-5m:+1h', path.join(dir, 'user.pub')]);
  const caPublic = readFileSync(`${ca}.pub`, 'utf8').trim();
  writeFileSync(path.join(home, 'revoked_keys.lkp-signer'), emptyKrl(new Date()));
  for (const addressMode of typeof opts.addressMode === 'string' ? [opts.addressMode] : opts.addressMode) {
    const paths = cachePaths(path.join(home, 'cache'), { signer: 'lkp-signer', instanceId: ID, login, keyFingerprint: fingerprint(key.key), addressMode });
    await writeCacheEntry(paths, {
      version: 1,
      certificate: readFileSync(path.join(dir, 'user-cert.pub'), 'utf8').trim(),
      principal: `${login}@${ID}`,
      address: '127.0.0.1',
      hostCaKeys: [caPublic],
      validBefore: Math.floor(Date.now() / 1000) + 3600,
      ...opts.entry,
    });
  }
  return { caPublic };
};
