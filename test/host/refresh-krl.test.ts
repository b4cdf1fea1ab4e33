// `lkp host refresh-krl` where lkp is not installed (never configured, or removed by
// `lkp host --uninstall` while lkp-host-krl.timer stays enabled): nothing to refresh, so a
// one-line notice and exit 0, not a failed unit every few minutes. A half-present install
// (sshd may be reading a KRL nobody refreshes) still fails.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyKrl } from '../../src/krl/check-krl.js';
import { lkp } from '../helpers/lkp.js';
import { tempDir } from '../helpers/temp.js';

// No signer is reachable: a run that tried to fetch would fail, not print a notice.
const env = { AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:9', AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9', AWS_REGION: 'eu-west-1' };

describe('lkp host refresh-krl where lkp is not installed', () => {
  it('ok/no <ssh-dir>/lkp (as after --uninstall): exit 0 with one line; --json says installed: false', async () => {
    const sshDir = tempDir('lkp-refresh-');
    const text = await lkp(['host', 'refresh-krl', '--ssh-dir', sshDir], { env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.trim().split('\n')).toHaveLength(1);
    expect(text.stderr).toBe('');
    const json = await lkp(['host', 'refresh-krl', '--ssh-dir', sshDir, '--json'], { env });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ version: 1, installed: false, dir: path.join(sshDir, 'lkp') });
    // An empty lkp folder is no install either.
    mkdirSync(path.join(sshDir, 'lkp'));
    expect((await lkp(['host', 'refresh-krl', '--ssh-dir', sshDir], { env })).code).toBe(0);
  });

  it('fail/a KRL without state.json (a half-finished install sshd may be reading) is still UsageError (21)', async () => {
    const sshDir = tempDir('lkp-refresh-');
    mkdirSync(path.join(sshDir, 'lkp'));
    writeFileSync(path.join(sshDir, 'lkp', 'revoked_keys'), emptyKrl(new Date()));
    const r = await lkp(['host', 'refresh-krl', '--ssh-dir', sshDir, '--json'], { env });
    expect(r.code).toBe(21);
  });
});
