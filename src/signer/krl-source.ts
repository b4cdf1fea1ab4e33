// The `krl` action's answer: one OpenSSH KRL (src/ssh/krl.ts) for both CAs, built from the
// revocation store and every published CA key, and kept briefly so that a fleet of hosts
// refreshing at once does not scan DynamoDB per request. It is rebuilt when the CA keys
// change, when the file store changed (its mtime: `lkp signer serve` sees a revocation on
// the very next request) and at least every `maxAgeSeconds` (30 s), so its generation time
// stays fresh for hosts that judge a KRL's age.
import { encodeKrl } from '../ssh/krl.js';
import { parsePublicKey } from '../ssh/public-key.js';
import type { CaKeys } from './ca-store/types.js';
import type { RevocationStore } from './revocation-store.js';
import { krlParts, type KrlCaKeys, type Revocation } from './revocation.js';

export interface KrlAnswer {
  readonly krl: Buffer;
  /** Unix seconds. */
  readonly generatedAt: number;
  /** Revocations the KRL carries. */
  readonly count: number;
}

export const KRL_MAX_AGE_SECONDS = 30;

/** The CA public keys of each role, parsed from the published lines. */
export const krlCaKeys = (keys: CaKeys): KrlCaKeys => ({
  user: keys.user.publicLines.map((l) => parsePublicKey(l)),
  host: keys.host.publicLines.map((l) => parsePublicKey(l)),
});

/** The KRL bytes for a list (pure). */
export const buildKrl = (list: readonly Revocation[], caKeys: KrlCaKeys, opts: { version: bigint; generatedAt: number; comment: string }): Buffer =>
  encodeKrl({ ...opts, ...krlParts(list, caKeys) });

export interface KrlSourceOptions {
  /** Opened on the first request (the DynamoDB client loads only then); undefined = nothing revoked. */
  readonly store: () => Promise<RevocationStore | undefined>;
  readonly caKeys: () => Promise<CaKeys>;
  /** Unix seconds. */
  readonly now: () => number;
  readonly serverId: string;
  readonly maxAgeSeconds?: number;
}

/** A function answering the current KRL, cached as described above. */
export const krlSource = (opts: KrlSourceOptions): (() => Promise<KrlAnswer>) => {
  const maxAge = opts.maxAgeSeconds ?? KRL_MAX_AGE_SECONDS;
  let storeOpening: Promise<RevocationStore | undefined> | undefined;
  const store = (): Promise<RevocationStore | undefined> => {
    if (!storeOpening) {
      storeOpening = opts.store();
      storeOpening.catch(() => (storeOpening = undefined)); // the next request tries again
    }
    return storeOpening;
  };
  let lastVersion = 0n;
  let cached: { answer: KrlAnswer; mark: string; version: bigint } | undefined;
  // One build per state at a time: a burst of requests shares it.
  let building: { promise: Promise<KrlAnswer>; mark: string } | undefined;

  return async () => {
    const now = opts.now();
    const [keys, s] = await Promise.all([opts.caKeys(), store()]);
    const mark = `${keys.host.publicLines.join(',')}|${keys.user.publicLines.join(',')}|${(await s?.changeMark?.()) ?? ''}`;
    if (cached && cached.mark === mark && now - cached.answer.generatedAt < maxAge && now >= cached.answer.generatedAt) return cached.answer;
    if (building && building.mark === mark) return building.promise;
    // Strictly increasing within a process, even for two builds in one second; taken
    // before the store is read, so a later version never holds an older list.
    const version = BigInt(now) > lastVersion ? BigInt(now) : lastVersion + 1n;
    lastVersion = version;
    const promise = (async () => {
      const list = s ? await s.list() : [];
      const krl = buildKrl(list, krlCaKeys(keys), { version, generatedAt: now, comment: `lkp ${opts.serverId}` });
      const answer = { krl, generatedAt: now, count: list.length };
      // A slower build of an older state must not replace a newer one.
      if (!cached || cached.version < version) cached = { answer, mark, version };
      return answer;
    })();
    building = { promise, mark };
    try {
      return await promise;
    } finally {
      if (building?.promise === promise) building = undefined;
    }
  };
};
