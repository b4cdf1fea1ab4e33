// `lkp signer serve` follows its config file without a restart: a replaced file is picked up
// by the next request, a broken one leaves the previous config answering, and SIGHUP reloads.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa } from '../helpers/local-ca.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';

const userCaKeys = async (signer: LocalSigner): Promise<string[]> => (await invokeJson(lambdaClient(signer.url), { version: 1, action: 'ca-keys' })).body.userCaKeys as string[];

const until = async (what: string, check: () => Promise<boolean> | boolean): Promise<void> => {
  for (let i = 0; i < 100; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('lkp signer serve follows its config', () => {
  it('ok/a rotation step is picked up without a restart; fail/a broken config keeps the previous one; ok/SIGHUP reloads', async () => {
    const ca = await makeLocalCa();
    const signer = await startLocalSigner(ca.config);
    expect(await userCaKeys(signer)).toHaveLength(1);

    expect((await lkp(['ca', 'rotate', 'add-next', '--config', ca.config, '--ca', 'user'])).code).toBe(0);
    await until('the next user CA key', async () => (await userCaKeys(signer)).length === 2);

    // A broken config (here: a key file that is not there) never replaces a working one.
    const good = readFileSync(ca.config, 'utf8');
    const doc = JSON.parse(good) as { userCa: { paths: string[] } };
    doc.userCa.paths[1] = path.join(ca.dir, 'missing_key');
    writeFileSync(ca.config, JSON.stringify(doc));
    await until('the refusal to reload', async () => (await userCaKeys(signer)).length === 2 && /not reloaded/.test(signer.stderr()));
    expect(signer.process.exitCode).toBeNull();

    // Restored by hand: SIGHUP reloads at once.
    writeFileSync(ca.config, good);
    const reloads = signer.stderr().match(/config reloaded/g)?.length ?? 0;
    signer.process.kill('SIGHUP');
    await until('the SIGHUP reload', () => (signer.stderr().match(/config reloaded/g)?.length ?? 0) > reloads);
    expect(await userCaKeys(signer)).toHaveLength(2);
    expect(await signer.stop()).toBe(143);
  });
});
