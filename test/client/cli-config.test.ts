// The laptop CLI's set-up mistakes, as a user meets them: a named config file that is not
// there, a --signer with no config, a profile that does not exist, a malformed instance;
// and LKP_HOME honoured by every command.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lkp } from '../helpers/lkp.js';
import { tempDir } from '../helpers/temp.js';

const ARN = 'arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0';

const fresh = () => {
  const home = tempDir('lkp-userhome-');
  return { home, env: { HOME: home, LKP_HOME: path.join(home, 'lkp home'), AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' } };
};

describe('client configuration mistakes', () => {
  it('fail/LKP_CONFIG naming a missing file is an error, not an empty config', async () => {
    const { home, env } = fresh();
    const missing = path.join(home, 'no-such-config.json');
    const r = await lkp(['ssh', 'exec', '--instance-arn', ARN, '--address', '127.0.0.1', '--', 'true'], { env: { ...env, LKP_CONFIG: missing } });
    expect(r.code).toBe(20);
    expect(r.stderr).toContain(missing);
  });

  it('fail/--signer NAME without any config file says there is none and how to create it', async () => {
    const { env } = fresh();
    const r = await lkp(['ssh', 'exec', '--instance-arn', ARN, '--signer', 'prod', '--', 'true'], { env });
    expect(r.code).toBe(20);
    expect(r.stderr).toContain(path.join(env.LKP_HOME, 'config.json'));
    expect(r.stderr).toContain('"signers":{"prod":');
  });

  it('fail/--profile naming no profile says it does not exist; an existing one without credentials says how to log in', async () => {
    const { home, env } = fresh();
    const awsConfig = path.join(home, 'aws-config');
    writeFileSync(awsConfig, '[profile dev]\nregion = us-east-1\n');
    const noCreds = { ...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_CONFIG_FILE: awsConfig, AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
    const nosuch = await lkp(['ssh', 'exec', '--instance-arn', ARN, '--address', '127.0.0.1', '--profile', 'nosuch', '--', 'true'], { env: noCreds });
    expect(nosuch.code).toBe(20);
    expect(nosuch.stderr).toMatch(/profile nosuch does not exist/);
    expect(nosuch.stderr).not.toContain('aws sso login');
    const dev = await lkp(['ssh', 'exec', '--instance-arn', ARN, '--address', '127.0.0.1', '--profile', 'dev', '--', 'true'], { env: noCreds });
    expect(dev.code).toBe(33);
    expect(dev.stderr).toContain('aws sso login --profile dev');
  });

  it('fail/every malformed instance gets the same code and the same wording', async () => {
    const { env } = fresh();
    for (const bad of ['web-1', 'arn:aws:ec2:us-east-1:111122223333:instance/web', 'i-xyz', 'a b', 'arn:aws:lambda:us-east-1:111122223333:function:f']) {
      const r = await lkp(['ssh', 'exec', '--instance-arn', bad, '--', 'true'], { env });
      expect(r.code, bad).toBe(21);
      expect(r.stderr, bad).toMatch(/^lkp: UsageError: --instance-arn ".*" is not an EC2 instance ARN \(arn:aws:ec2:REGION:ACCOUNT:instance\/i-…\) or instance id\n$/);
    }
    const jump = await lkp(['ssh', 'exec', '--instance-arn', ARN, '--jump', 'i-xyz', '--', 'true'], { env });
    expect(jump.code).toBe(21);
    expect(jump.stderr).toMatch(/--jump "i-xyz" is not an EC2 instance ARN/);
  });

  it('ok/lkp ssh cert keeps its key under LKP_HOME, like every other command', async () => {
    const { home, env } = fresh();
    const r = await lkp(['ssh', 'cert', '--join-token', 'x', '--target', 'web-1', '--user', 'deploy'], { env: { ...env, LKP_HTTP_TIMEOUT_MS: '300' } });
    expect(r.code).not.toBe(0); // nothing answers; the key is made before the call
    expect(existsSync(path.join(env.LKP_HOME, 'id_ed25519'))).toBe(true);
    expect(existsSync(path.join(home, '.lkp'))).toBe(false);
  });
});
