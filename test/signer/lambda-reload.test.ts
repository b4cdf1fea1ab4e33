// The Lambda's config follower (its SSM parameter) with the builder the Lambda uses: a new
// config whose CA keys this signer cannot load must not replace the one answering (review
// finding 1: it used to be swapped in unloaded, and every request then answered Internal).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { followLambdaConfig } from '../../src/signer/lambda.js';
import type { ReloadEvent } from '../../src/signer/reloading-handler.js';
import { generateOpenSshKey } from '../../src/ssh/generate-key.js';
import { tempDir } from '../helpers/temp.js';

describe('the Lambda reloading its SSM config', () => {
  afterEach(() => vi.restoreAllMocks());

  it('fail/a config naming a next CA key that cannot be loaded is refused; the previous config keeps answering ca-keys', async () => {
    const dir = tempDir('lkp-lambda-reload-');
    const write = (name: string): { file: string; publicLine: string } => {
      const key = generateOpenSshKey('ed25519', name);
      const file = path.join(dir, name);
      writeFileSync(file, key.privateText, { mode: 0o600 });
      return { file, publicLine: key.publicLine.split(' ').slice(0, 2).join(' ') };
    };
    const [host, user] = [write('host_ca'), write('user_ca')];
    const config = (userPaths: string[], rotation?: object) =>
      JSON.stringify({ version: 1, serverId: 'lkp-lambda-reload', hostCa: { store: 'file', paths: [host.file] }, userCa: { store: 'file', paths: userPaths, ...(rotation ? { rotation } : {}) }, rules: [] });
    let text = config([user.file]);
    let clock = 0;
    const events: ReloadEvent[] = [];
    const followed = await followLambdaConfig(async () => text, 'ssm:/lkp/test/signer-config', { nowMs: () => clock, onReload: (e) => events.push(e) });
    const caKeys = async () => (await followed.handler({ version: 1, action: 'ca-keys' })) as unknown as { userCaKeys?: string[]; error?: { code: string } };
    expect((await caKeys()).userCaKeys).toEqual([user.publicLine]);

    // add-next with a key this signer cannot read (its file is missing here)
    text = config([user.file, path.join(dir, 'missing_next')], { phase: 'next-added', addedAt: '2026-12-01T00:00:00Z' });
    clock += 60_000;
    await caKeys();
    await followed.settled();
    expect(events.map((e) => e.ok)).toEqual([false]);
    const after = await caKeys();
    expect(after.error).toBeUndefined();
    expect(after.userCaKeys).toEqual([user.publicLine]);
  });
});
