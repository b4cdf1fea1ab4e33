// Picks the CA key store a config names and caches what it loads: CA keys are read once
// per process (once per Lambda container).
import { LkpError } from '../../errors.js';
import type { CaStoreConfig } from '../config.js';
import { loadFileCaKeySet } from './file.js';
import type { CaKeys, CaKeySet } from './types.js';

/** Fetches private key texts from a remote store (Secrets Manager, SSM); injected. */
export type RemoteKeyFetcher = (store: Extract<CaStoreConfig, { store: 'secretsmanager' | 'ssm' }>) => Promise<{ texts: string[]; names: string[] }>;

const loadSet = async (cfg: CaStoreConfig, remote?: RemoteKeyFetcher): Promise<CaKeySet> => {
  if (cfg.store === 'file') return loadFileCaKeySet(cfg.paths);
  if (cfg.store === 'kms') {
    const [{ kmsCaKeySet }, { sdkKmsApi }] = await Promise.all([import('./kms.js'), import('../../aws/kms.js')]);
    return kmsCaKeySet(await sdkKmsApi(cfg.region), cfg.keyIds);
  }
  if (!remote) throw new LkpError('CaKeyUnavailable', `CA store ${cfg.store} is not available in this runtime`);
  const { caKeySetFromPrivateKeys } = await import('./from-private-keys.js');
  const { texts, names } = await remote(cfg);
  return caKeySetFromPrivateKeys(texts, names);
};

/** A cached loader: the first call loads, later calls reuse; a failure is retried next time. */
export const cachedCaKeys = (host: CaStoreConfig, user: CaStoreConfig, remote?: RemoteKeyFetcher): (() => Promise<CaKeys>) => {
  let pending: Promise<CaKeys> | undefined;
  return () => {
    pending ??= Promise.all([loadSet(host, remote), loadSet(user, remote)]).then(
      ([h, u]) => ({ host: h, user: u }),
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };
};
