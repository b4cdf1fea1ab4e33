// `lkp ssh logout`: forget cached certificates (all, or one instance's) and the copies
// `lkp ssh exec --agent` put into ssh-agent. Only lkp's own certificates leave the agent:
// those for lkp's key (~/.lkp/id_ed25519, which nothing else certifies), or for a key the
// cache names AND signed by a CA the cache names. The person's other keys stay.
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { INSTANCE_ID_RE, parseTarget } from '../api/target.js';
import { LkpError } from '../errors.js';
import { parseCertificate } from '../ssh/parse-certificate.js';
import { fingerprint, parsePublicKey } from '../ssh/public-key.js';
import { cacheDir, listCachedCertificates, type CachedCertificate } from './list-certs.js';

export interface LogoutResult {
  readonly instanceId: string | null;
  /** The cached certificates removed. */
  readonly removed: readonly CachedCertificate[];
  readonly agent: { readonly status: 'no-agent' | 'unreachable' | 'done'; readonly removed: number; readonly message?: string };
}

/** An instance id, or the id inside an instance ARN. */
export const parseInstanceOption = (value: string): string => {
  let id: string | undefined;
  try {
    const t = parseTarget(value);
    id = t.kind === 'instance' ? t.instanceId : undefined;
  } catch {
    id = undefined;
  }
  if (!id || !INSTANCE_ID_RE.test(id)) throw new LkpError('UsageError', `--instance ${JSON.stringify(value.slice(0, 120))} is not an EC2 instance id (i-…) or instance ARN`);
  return id;
};

/** Which agent identity lines are lkp's certificates to remove (pure). */
export const agentCopiesToRemove = (agentLines: readonly string[], mine: { keys: ReadonlySet<string>; cas: ReadonlySet<string>; homeKey?: string; instanceId?: string }): string[] =>
  agentLines.filter((line) => {
    if (!/^\S+-cert-v01@openssh\.com\s/.test(line)) return false;
    let cert;
    try {
      cert = parseCertificate(line);
    } catch {
      return false;
    }
    if (cert.certType !== 'user') return false;
    const key = fingerprint(cert.key);
    const ours = key === mine.homeKey || (mine.keys.has(key) && mine.cas.has(fingerprint(cert.signatureKey)));
    return ours && (mine.instanceId === undefined || cert.principals.some((p) => p.endsWith(`@${mine.instanceId}`)));
  });

const homeKeyFingerprint = async (home: string): Promise<string | undefined> => {
  try {
    return fingerprint(parsePublicKey((await readFile(path.join(home, 'id_ed25519.pub'), 'utf8')).trim()));
  } catch {
    return undefined;
  }
};

/** Removes the cache entries (and the transparent mode's per-host copies), then the agent's copies. */
export const logout = async (home: string, opts: { instanceId?: string; now: number; sock?: string }): Promise<LogoutResult> => {
  const all = await listCachedCertificates(home, opts.now);
  const chosen = opts.instanceId === undefined ? all : all.filter((c) => c.instanceId === opts.instanceId);
  // Decide what is ours before the files that say so are gone.
  const mine = { keys: new Set(all.map((c) => c.keyFingerprint)), cas: new Set(all.map((c) => c.caFingerprint)), homeKey: await homeKeyFingerprint(home), ...(opts.instanceId ? { instanceId: opts.instanceId } : {}) };
  const cache = cacheDir(home);
  if (opts.instanceId === undefined) {
    // Everything in the cache folder, damaged entries and left-over temp files included.
    const names = await readdir(cache).catch(() => [] as string[]);
    await Promise.all(names.map((n) => rm(path.join(cache, n), { force: true, recursive: true })));
    await rm(path.join(home, 'hosts'), { recursive: true, force: true });
  } else {
    await Promise.all(chosen.flatMap((c) => [rm(c.certificateFile, { force: true }), rm(c.entryFile, { force: true })]));
    await rm(path.join(home, 'hosts', opts.instanceId), { recursive: true, force: true });
  }
  const base = { instanceId: opts.instanceId ?? null, removed: chosen };
  if (!opts.sock) return { ...base, agent: { status: 'no-agent', removed: 0 } };
  const { listAgent, removeFromAgent } = await import('./agent.js');
  const listing = await listAgent(opts.sock);
  if (!listing.reachable) return { ...base, agent: { status: 'unreachable', removed: 0, message: listing.message } };
  const lines = agentCopiesToRemove(listing.lines, mine);
  await removeFromAgent(opts.sock, lines);
  return { ...base, agent: { status: 'done', removed: lines.length } };
};
