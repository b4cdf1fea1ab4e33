// userdata/cloud-init.sh fetching the lkp binary from S3 (moto, IAM enforced), as an
// instance whose role may s3:GetObject that one object: installed and run only when its
// SHA256 is the one the user data names; refused, with nothing installed or run, otherwise.
// The object is a small stand-in for the 100 MB binary: it answers --version through the
// real lkp and records the `lkp host` arguments it is given.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { LKP_BIN } from '../helpers/lkp.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { onCleanup, tempDir } from '../helpers/temp.js';

const SCRIPT = path.resolve('userdata/cloud-init.sh');
const BUCKET = 'lkp-dist';
const KEY = 'v0.1.0/lkp-linux-x64';

const run = (cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) =>
    execFile(cmd, args, { env, timeout: 60_000 }, (e, stdout, stderr) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr })),
  );

describe('cloud-init.sh: the lkp binary from S3, SHA256-checked', () => {
  let moto: Moto;
  const work = tempDir('lkp-userdata-');
  const calls = path.join(work, 'calls');
  // Only what the AWS CLI needs: no ~/.aws files, no instance metadata.
  const isolated = { PATH: process.env.PATH ?? '', HOME: work, AWS_CONFIG_FILE: path.join(work, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'none'), AWS_EC2_METADATA_DISABLED: 'true' };
  const stand = `#!/bin/sh\nif [ "$1" = --version ]; then exec '${process.execPath}' '${LKP_BIN}' --version; fi\nprintf '%s\\n' "$*" >> '${calls}'\n`;
  const sha = createHash('sha256').update(stand).digest('hex');
  let hostEnv: Record<string, string>;

  const aws = async (args: string[], env: Record<string, string>) => {
    const r = await run('aws', args, { ...isolated, ...env, AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: moto.url, AWS_ENDPOINT_URL_IAM: moto.url });
    if (r.code !== 0) throw new Error(`aws ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  const boot = async (settings: Record<string, string>, pathOverride?: string) => {
    const root = tempDir('lkp-userdata-root-');
    const r = await run('/bin/sh', [SCRIPT], { ...isolated, ...hostEnv, LKP_ROOT: root, LKP_FUNCTION_NAME: 'lkp-test-signer', LKP_USERS: 'ec2-user', ...settings, ...(pathOverride ? { PATH: pathOverride } : {}) });
    const binDir = path.join(root, 'usr/local/bin');
    return { ...r, root, lkp: path.join(binDir, 'lkp'), leftovers: existsSync(binDir) ? readdirSync(binDir).filter((f) => f.includes('download')) : [] };
  };

  beforeAll(async () => {
    moto = await startMoto();
    onCleanup(() => moto.close());
    const admin = moto.env();
    const file = path.join(work, 'lkp-linux-x64');
    writeFileSync(file, stand);
    await aws(['s3', 'mb', `s3://${BUCKET}`], admin);
    await aws(['s3', 'cp', '--only-show-errors', file, `s3://${BUCKET}/${KEY}`], admin);
    await aws(['s3', 'cp', '--only-show-errors', file, `s3://${BUCKET}/other/lkp`], admin);
    writeFileSync(`${file}.gz`, gzipSync(stand));
    await aws(['s3', 'cp', '--only-show-errors', `${file}.gz`, `s3://${BUCKET}/${KEY}.gz`], admin);
    // The instance role's one extra permission: read this object, nothing else in the bucket.
    await aws(['iam', 'create-user', '--user-name', 'lkp-host'], admin);
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: [`arn:aws:s3:::${BUCKET}/${KEY}`, `arn:aws:s3:::${BUCKET}/${KEY}.gz`] }] };
    await aws(['iam', 'put-user-policy', '--user-name', 'lkp-host', '--policy-name', 'binary', '--policy-document', JSON.stringify(policy)], admin);
    const key = JSON.parse(await aws(['iam', 'create-access-key', '--user-name', 'lkp-host'], admin)) as { AccessKey: { AccessKeyId: string; SecretAccessKey: string } };
    hostEnv = { AWS_ACCESS_KEY_ID: key.AccessKey.AccessKeyId, AWS_SECRET_ACCESS_KEY: key.AccessKey.SecretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: moto.url };
  }, 90_000);

  it('ok/fetches the binary, checks its SHA256, installs it and runs lkp host with the settings', async () => {
    const r = await boot({ LKP_BINARY_S3: `s3://${BUCKET}/${KEY}`, LKP_BINARY_SHA256: sha.toUpperCase() });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(r.lkp, 'utf8')).toBe(stand);
    expect(statSync(r.lkp).mode & 0o777).toBe(0o755);
    expect(r.leftovers).toEqual([]);
    expect(readFileSync(calls, 'utf8')).toBe('host --retry-for 5m --function-name lkp-test-signer --users ec2-user\n');
    expect(readFileSync(path.join(r.root, 'etc/default/lkp'), 'utf8')).toBe('LKP_FUNCTION_NAME=lkp-test-signer\nLKP_HOST_ARGS="--function-name lkp-test-signer --users ec2-user"\n');
  });

  it('ok/a host whose binary came from S3 (no units baked in) gets the renewal and revocation-list timers, the same units as userdata/systemd, enabled', async () => {
    writeFileSync(calls, '');
    const r = await boot({ LKP_BINARY_S3: `s3://${BUCKET}/${KEY}`, LKP_BINARY_SHA256: sha });
    expect(r.code, r.stderr).toBe(0);
    const units = path.join(r.root, 'etc/systemd/system');
    for (const unit of ['lkp-host-renew.service', 'lkp-host-renew.timer', 'lkp-host-krl.service', 'lkp-host-krl.timer']) {
      expect(readFileSync(path.join(units, unit), 'utf8'), unit).toBe(readFileSync(path.resolve('userdata/systemd', unit), 'utf8'));
      expect(statSync(path.join(units, unit)).mode & 0o777).toBe(0o644);
    }
    for (const timer of ['lkp-host-renew.timer', 'lkp-host-krl.timer']) expect(readlinkSync(path.join(units, 'timers.target.wants', timer))).toBe(`/etc/systemd/system/${timer}`);
  });

  it('ok/the gzip-compressed binary (lkp.gz): its SHA256 is checked, then it is unpacked, installed and run', async () => {
    writeFileSync(calls, '');
    const gzSha = createHash('sha256').update(gzipSync(stand)).digest('hex');
    const r = await boot({ LKP_BINARY_S3: `s3://${BUCKET}/${KEY}.gz`, LKP_BINARY_SHA256: gzSha });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(r.lkp, 'utf8')).toBe(stand);
    expect(statSync(r.lkp).mode & 0o777).toBe(0o755);
    expect(r.leftovers).toEqual([]);
    expect(readFileSync(calls, 'utf8')).toBe('host --retry-for 5m --function-name lkp-test-signer --users ec2-user\n');
    // The SHA256 of the unpacked binary does not vouch for the .gz: refused before unpacking.
    writeFileSync(calls, '');
    const wrong = await boot({ LKP_BINARY_S3: `s3://${BUCKET}/${KEY}.gz`, LKP_BINARY_SHA256: sha });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/has SHA256 [0-9a-f]{64}, not the expected/);
    expect(existsSync(wrong.lkp)).toBe(false);
    expect(wrong.leftovers).toEqual([]);
    expect(readFileSync(calls, 'utf8')).toBe('');
  });

  it('fail/a binary whose SHA256 differs is neither installed nor run', async () => {
    writeFileSync(calls, '');
    const r = await boot({ LKP_BINARY_S3: `s3://${BUCKET}/${KEY}`, LKP_BINARY_SHA256: createHash('sha256').update('something else').digest('hex') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has SHA256 [0-9a-f]{64}, not the expected/);
    expect(existsSync(r.lkp)).toBe(false);
    expect(r.leftovers).toEqual([]);
    expect(readFileSync(calls, 'utf8')).toBe('');
  });

  it('fail/no SHA256 in the user data: refuses to fetch an unverifiable binary', async () => {
    const r = await boot({ LKP_BINARY_S3: `s3://${BUCKET}/${KEY}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/LKP_BINARY_SHA256 must be/);
    expect(existsSync(r.lkp)).toBe(false);
  });

  it('fail/an object the instance role may not read: says what permission it needs', async () => {
    const r = await boot({ LKP_BINARY_S3: `s3://${BUCKET}/other/lkp`, LKP_BINARY_SHA256: sha });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\(403\)|AccessDenied|Forbidden/); // S3's refusal, not some other failure
    expect(r.stderr).toMatch(/could not fetch .* s3:GetObject/);
    expect(existsSync(r.lkp)).toBe(false);
    expect(r.leftovers).toEqual([]);
  });

  it('fail/no AWS CLI on the AMI, or no S3 location: names the alternative, baking lkp into the AMI', async () => {
    const bin = path.join(work, 'no-aws-bin');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['tr', 'grep', 'dirname', 'mkdir', 'rm']) {
      const found = (await run('/bin/sh', ['-c', `command -v ${tool}`], isolated)).stdout.trim();
      if (found && !existsSync(path.join(bin, tool))) symlinkSync(found, path.join(bin, tool));
    }
    const noCli = await boot({ LKP_BINARY_S3: `s3://${BUCKET}/${KEY}`, LKP_BINARY_SHA256: sha }, bin);
    expect(noCli.code).toBe(1);
    expect(noCli.stderr).toMatch(/no AWS CLI .*bake-ami\.sh/);
    const nowhere = await boot({});
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/LKP_BINARY_S3 is not set: bake lkp into the AMI/);
  });
});
