// Directives outside lkp's block that touch what lkp configures. lkp never removes or
// rewrites them (they are the admin's); it reports each with what sshd will actually do.
import type { SshdReadEntry } from './stream.js';

/** What sshd does with the other directive, given where lkp's block sits. */
export type SshdConflictEffect =
  /** Read after lkp's value for a first-value-wins keyword: sshd ignores it. */
  | 'lkp-wins'
  /** Read before lkp's value, or inside a Match block: it replaces lkp's for (matching) connections. */
  | 'overrides-lkp'
  /** Applies alongside lkp's (AuthorizedPrincipalsCommand; more HostCertificate lines). */
  | 'combined';

/** One directive that overlaps lkp's settings. */
export interface SshdConflict {
  readonly keyword: 'TrustedUserCAKeys' | 'AuthorizedPrincipalsFile' | 'AuthorizedPrincipalsCommand' | 'HostCertificate' | 'RevokedKeys';
  readonly file: string;
  readonly line: number;
  readonly value: string;
  readonly context: 'global' | 'match';
  readonly effect: SshdConflictEffect;
  /** One sentence a person can act on. */
  readonly message: string;
}

const CANONICAL = {
  trustedusercakeys: 'TrustedUserCAKeys',
  authorizedprincipalsfile: 'AuthorizedPrincipalsFile',
  authorizedprincipalscommand: 'AuthorizedPrincipalsCommand',
  hostcertificate: 'HostCertificate',
  revokedkeys: 'RevokedKeys',
} as const;

type WatchedKey = keyof typeof CANONICAL;

const isWatched = (key: string): key is WatchedKey => Object.prototype.hasOwnProperty.call(CANONICAL, key);

/** Keywords lkp sets where sshd keeps the first global value. */
export const FIRST_VALUE_KEYS: ReadonlySet<string> = new Set(['trustedusercakeys', 'authorizedprincipalsfile', 'revokedkeys']);

const effectOf = (key: WatchedKey, entry: SshdReadEntry, lkpSeen: ReadonlySet<string>): SshdConflictEffect => {
  if (!FIRST_VALUE_KEYS.has(key)) return 'combined';
  if (entry.context === 'match') return 'overrides-lkp';
  return lkpSeen.has(key) ? 'lkp-wins' : 'overrides-lkp';
};

const describe = (keyword: string, effect: SshdConflictEffect, context: 'global' | 'match'): string => {
  // sshd reads one revocation file: the other one's revocations silently stop counting.
  if (effect === 'lkp-wins' && keyword === 'RevokedKeys') return 'RevokedKeys is also set here; sshd reads only lkp\'s file, so the keys this one revokes are no longer refused: revoke them through the signer (lkp signer revoke)';
  if (effect === 'lkp-wins') return `${keyword} is also set here; sshd ignores it because lkp's value is read first`;
  if (effect === 'overrides-lkp') {
    return context === 'match'
      ? `${keyword} inside a Match block replaces lkp's value for the connections that Match selects`
      : `${keyword} is read before lkp's value, so sshd uses this one instead of lkp's`;
  }
  return keyword === 'HostCertificate'
    ? 'another HostCertificate is loaded too; if it is for the same host key, the one sshd reads last is offered'
    : 'AuthorizedPrincipalsCommand is consulted in addition to lkp\'s AuthorizedPrincipalsFile and may admit more principals';
};

/** List every non-lkp directive that overlaps lkp's settings, in sshd's read order. */
export const findSshdConflicts = (entries: readonly SshdReadEntry[]): SshdConflict[] => {
  const lkpSeen = new Set<string>();
  const conflicts: SshdConflict[] = [];
  for (const entry of entries) {
    const { key } = entry.line;
    if (entry.lkp) {
      if (entry.context === 'global') lkpSeen.add(key);
      continue;
    }
    if (!isWatched(key)) continue;
    const value = entry.line.args.join(' ');
    if (key === 'authorizedprincipalscommand' && value.toLowerCase() === 'none') continue;
    const keyword = CANONICAL[key];
    const effect = effectOf(key, entry, lkpSeen);
    conflicts.push({
      keyword,
      file: entry.file,
      line: entry.line.lineNo,
      value,
      context: entry.context,
      effect,
      message: describe(keyword, effect, entry.context),
    });
  }
  return conflicts;
};
