// `lkp ca rotate` against a real `lkp signer serve` whose config changed but which did not
// adopt it (review finding 3): here the new key file was 0644 when the signer looked, which
// it refuses, so it kept answering with the previous config. promote and retire check what
// the running signer serves (ca-keys, through Lambda Invoke), refuse with RotationNotLive
// when it is not the config, and --force does it anyway after printing the risk; status
// shows the running signer's keys beside the config's.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateOpenSshKey } from '../../src/ssh/generate-key.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';

const ROTATION_NOT_LIVE = 57;
const DAY = 86_400_000;

interface CaEntry {
  store?: string;
  paths: string[];
  rotation?: Record<string, string>;
}
interface LiveRole {
  fingerprints: string[];
  matchesConfig: boolean;
}
interface Status {
  userCa: { keys: Array<{ fingerprint: string }> };
  hostCa: { keys: Array<{ fingerprint: string }> };
  live: { hostCa: LiveRole; userCa: LiveRole; error?: unknown };
}

const until = async (what: string, check: () => Promise<boolean> | boolean): Promise<void> => {
  for (let i = 0; i < 100; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
};

const iso = (msAgo: number): string => new Date(Date.now() - msAgo).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Writes `edit(config)` while the key file `loose` is 0644: the signer refuses that config and keeps its previous one. */
const changeWithoutAdoption = async (ca: LocalCa, signer: LocalSigner, loose: string, edit: (doc: Record<string, CaEntry>) => void): Promise<void> => {
  const doc = JSON.parse(readFileSync(ca.config, 'utf8')) as Record<string, CaEntry>;
  edit(doc);
  chmodSync(loose, 0o644);
  const refusals = signer.stderr().match(/not reloaded/g)?.length ?? 0;
  writeFileSync(ca.config, JSON.stringify(doc, null, 2));
  await until('the signer to refuse the new config', async () => {
    await invokeJson(lambdaClient(signer.url), { version: 1, action: 'ca-keys' });
    return (signer.stderr().match(/not reloaded/g)?.length ?? 0) > refusals;
  });
  // Readable for the admin again; the signer does not look again until the file changes.
  chmodSync(loose, 0o600);
};

const setUp = async (): Promise<{ ca: LocalCa; signer: LocalSigner; env: Record<string, string>; next: string }> => {
  const ca = await makeLocalCa();
  const signer = await startLocalSigner(ca.config);
  const next = path.join(ca.dir, 'next_ca');
  writeFileSync(next, generateOpenSshKey('ed25519', 'next CA').privateText, { mode: 0o600 });
  return { ca, signer, env: { AWS_ENDPOINT_URL_LAMBDA: signer.url }, next };
};

const status = async (ca: LocalCa, env: Record<string, string>): Promise<Status> => {
  const r = await lkp(['ca', 'rotate', 'status', '--config', ca.config, '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status;
};

describe('lkp ca rotate checks what the running signer serves', () => {
  it('fail/promote while lkp signer serve still publishes only the current user CA key: RotationNotLive, nothing written; ok/--force promotes and prints the risk; status shows the live keys', async () => {
    const { ca, signer, env, next } = await setUp();
    await changeWithoutAdoption(ca, signer, next, (doc) => {
      doc.userCa = { store: 'file', paths: ['user_ca', 'next_ca'], rotation: { phase: 'next-added', addedAt: iso(2 * DAY) } };
    });

    const before = await status(ca, env);
    expect(before.userCa.keys).toHaveLength(2);
    expect(before.live.userCa).toEqual({ fingerprints: [before.userCa.keys[0]?.fingerprint], matchesConfig: false });
    expect(before.live.hostCa.matchesConfig).toBe(true);

    const config = readFileSync(ca.config, 'utf8');
    const refused = await lkp(['ca', 'rotate', 'promote', '--config', ca.config, '--ca', 'user'], { env });
    expect(refused.code, refused.stderr).toBe(ROTATION_NOT_LIVE);
    expect(readFileSync(ca.config, 'utf8')).toBe(config);

    const forced = await lkp(['ca', 'rotate', 'promote', '--config', ca.config, '--ca', 'user', '--force'], { env });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/warning: --force/);
    expect((JSON.parse(readFileSync(ca.config, 'utf8')) as Record<string, CaEntry>).userCa?.rotation?.phase).toBe('promoted');

    // The promoted config loads (the key is 0600 now): the signer adopts it and status says so.
    const after = await status(ca, env);
    expect(after.live.userCa).toEqual({ fingerprints: after.userCa.keys.map((k) => k.fingerprint), matchesConfig: true });
  });

  it('fail/retire while the running signer still signs host certificates with the old key: RotationNotLive; ok/once it adopted promote, retire passes', async () => {
    const { ca, signer, env, next } = await setUp();
    await until('add-next to be adopted', async () => {
      const doc = JSON.parse(readFileSync(ca.config, 'utf8')) as Record<string, CaEntry>;
      if (!doc.hostCa?.rotation) {
        doc.hostCa = { store: 'file', paths: ['host_ca', 'next_ca'], rotation: { phase: 'next-added', addedAt: iso(4 * DAY) } };
        writeFileSync(ca.config, JSON.stringify(doc, null, 2));
      }
      return (await status(ca, env)).live.hostCa.matchesConfig;
    });
    await changeWithoutAdoption(ca, signer, next, (doc) => {
      doc.hostCa = { store: 'file', paths: ['next_ca', 'host_ca'], rotation: { phase: 'promoted', addedAt: iso(4 * DAY), promotedAt: iso(2 * DAY) } };
    });
    expect((await status(ca, env)).live.hostCa.matchesConfig).toBe(false);
    expect((await lkp(['ca', 'rotate', 'retire', '--config', ca.config, '--ca', 'host'], { env })).code).toBe(ROTATION_NOT_LIVE);

    // The signer re-reads its config on SIGHUP: now it signs with the next key, and retire passes.
    signer.process.kill('SIGHUP');
    await until('the promote to be adopted', async () => (await status(ca, env)).live.hostCa.matchesConfig);
    const retired = await lkp(['ca', 'rotate', 'retire', '--config', ca.config, '--ca', 'host'], { env });
    expect(retired.code, retired.stderr).toBe(0);
    expect((JSON.parse(readFileSync(ca.config, 'utf8')) as Record<string, CaEntry>).hostCa?.paths).toEqual(['next_ca']);
  });
});
