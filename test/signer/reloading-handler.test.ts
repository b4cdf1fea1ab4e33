import { describe, expect, it } from 'vitest';
import type { SignerResponse } from '../../src/api/response.js';
import type { SignerHandler } from '../../src/signer/handle.js';
import { reloadingHandler, type ReloadEvent } from '../../src/signer/reloading-handler.js';

const answering = (name: string): SignerHandler => async () => ({ version: 1, requestId: name }) as unknown as SignerResponse;

describe('a signer that follows its config', () => {
  const setUp = (checkEveryMs: number, waitForCheck = true) => {
    const world = { now: 0, version: 'v1', builds: 0, probes: 0, broken: false, events: [] as ReloadEvent[] };
    const r = reloadingHandler({
      initial: { version: 'v1', handler: answering('v1') },
      checkEveryMs,
      waitForCheck,
      nowMs: () => world.now,
      probe: async () => {
        world.probes += 1;
        const v = world.version;
        return {
          version: v,
          build: async () => {
            world.builds += 1;
            if (world.broken) throw new Error(`config ${v} does not load`);
            return answering(v);
          },
        };
      },
      onReload: (e) => world.events.push(e),
    });
    const ask = async (): Promise<string> => (await r.handler({ version: 1, action: 'ca-keys' })).requestId;
    return { world, r, ask };
  };

  it('ok/a changed config answers once the interval has passed; an unchanged one is not rebuilt', async () => {
    const { world, ask } = setUp(60_000);
    world.version = 'v2';
    expect(await ask()).toBe('v1'); // inside the TTL: no look
    expect(world.probes).toBe(0);
    world.now = 60_000;
    expect(await ask()).toBe('v2');
    world.now = 120_000;
    expect(await ask()).toBe('v2');
    expect(world.builds).toBe(1);
    expect(world.events).toEqual([{ ok: true, version: 'v2' }]);
  });

  it('fail/a config that does not load keeps the previous signer answering, reported once, until it changes again', async () => {
    const { world, ask } = setUp(0);
    world.version = 'v2';
    world.broken = true;
    expect(await ask()).toBe('v1');
    expect(await ask()).toBe('v1');
    expect(world.builds).toBe(1);
    expect(world.events).toHaveLength(1);
    expect(world.events[0]?.ok).toBe(false);
    world.version = 'v3';
    world.broken = false;
    expect(await ask()).toBe('v3');
  });

  it('ok/reload() (SIGHUP) rebuilds even when the version looks the same', async () => {
    const { world, r, ask } = setUp(60_000);
    expect(await r.reload()).toBe(true);
    expect(world.builds).toBe(1);
    expect(await ask()).toBe('v1');
  });

  it('ok/in the background (a remote config): the request that starts a check is answered by the current signer, later ones by the new', async () => {
    const { world, r, ask } = setUp(60_000, false);
    world.version = 'v2';
    world.now = 60_000;
    expect(await ask()).toBe('v1');
    await r.settled();
    expect(await ask()).toBe('v2');
  });
});
