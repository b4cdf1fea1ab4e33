// `lkp host refresh-krl`: fetch the signer's KRL and swap it in as sshd's RevokedKeys (run
// by lkp-host-krl.timer every few minutes). The signer is the one `lkp host` used (its
// state.json), reached like `lkp host` reaches it: with the instance role on EC2.
import { LkpError } from '../errors.js';
import { readOptional } from '../fs/read-optional.js';
import { fetchKrl } from '../krl/fetch-krl.js';
import { instanceRole } from './bootstrap.js';
import type { ImdsClient } from './imds.js';
import { hostLayout } from './layout.js';
import { refreshRevokedKeys, type RefreshedKrl } from './revoked-keys.js';

export interface RefreshKrlOptions {
  readonly sshDir: string;
  /** Overrides the signer `lkp host` recorded. */
  readonly functionName?: string;
  readonly region?: string;
  readonly sshKeygen?: string;
}

export interface RefreshKrlDeps {
  readonly imds: () => ImdsClient;
  readonly now: () => Date;
}

/** What `lkp host` recorded about how it reached the signer. */
const readSignerOfHost = async (state: string): Promise<{ functionName: string; identity: 'aws' | 'join-token' }> => {
  const text = await readOptional(state, 'utf8');
  if (text === null) throw new LkpError('UsageError', `${state} is missing: lkp host has not configured this host yet (run lkp host first)`);
  try {
    const s = JSON.parse(text) as { functionName?: unknown; identity?: unknown };
    if (typeof s.functionName === 'string' && s.functionName && (s.identity === 'aws' || s.identity === 'join-token')) return { functionName: s.functionName, identity: s.identity };
  } catch {
    // reported below
  }
  throw new LkpError('FileSystem', `${state} is damaged (no signer recorded); run lkp host again`);
};

/** Refreshes <ssh-dir>/lkp/revoked_keys from the signer; keeps the last good copy on any failure. */
export const refreshHostKrl = async (opts: RefreshKrlOptions, deps: RefreshKrlDeps): Promise<RefreshedKrl> => {
  const layout = hostLayout(opts.sshDir);
  const host = await readSignerOfHost(layout.state);
  const functionName = opts.functionName ?? host.functionName;
  const sshKeygen = opts.sshKeygen ? { sshKeygen: opts.sshKeygen } : {};
  const fetch = async () => {
    let signer: { functionName: string; region?: string; credentials?: Awaited<ReturnType<typeof instanceRole>>['credentials'] } = { functionName, ...(opts.region ? { region: opts.region } : {}) };
    // On EC2 the instance role signs the Invoke, as for lkp host (no SDK credential chain needed).
    if (host.identity === 'aws') {
      const role = await instanceRole(deps.imds());
      signer = { functionName, region: opts.region ?? role.region, credentials: role.credentials };
    }
    return fetchKrl(signer, sshKeygen);
  };
  return refreshRevokedKeys(layout, fetch, deps.now, sshKeygen);
};
