// A host's revocations: <ssh-dir>/lkp/revoked_keys, sshd's RevokedKeys. sshd reads it at
// every key login and refuses them ALL when it is missing or does not parse, so it always
// exists (an empty KRL until the signer's first answer), is replaced only by a checked KRL
// through rename (src/krl/check-krl.ts), and a failed fetch keeps the last good copy.
// revoked_keys.json beside it records when the signer's KRL was last fetched.
import { LkpError } from '../errors.js';
import { readOptional } from '../fs/read-optional.js';
import { writeAtomic } from '../fs/write-atomic.js';
import { checkInstalledKrl, emptyKrl, installKrl, krlCandidateCheck, type KrlCheckOptions } from '../krl/check-krl.js';
import { cleanStaleTemps } from '../sshd/apply.js';
import type { FetchedKrl } from '../krl/fetch-krl.js';
import { installedHeader, olderKrlMessage, olderThanInstalled } from '../krl/krl-order.js';
import type { KrlHeader } from '../ssh/krl.js';
import type { SshdConfigInput } from '../sshd/edit.js';
import type { HostLayout } from './layout.js';
import type { HostFile } from './plan-host-files.js';
import { writeHostFiles, type WrittenHostFiles } from './write-host-files.js';

/** revoked_keys.json, version 1. */
export interface KrlRecord {
  readonly version: 1;
  /** When a KRL from the signer was last fetched and installed (ISO); null: lkp's own empty KRL. */
  readonly fetchedAt: string | null;
  /** The installed KRL's generation time (ISO, from its header). */
  readonly generatedAt: string;
  /** Revocations in it, as the signer counted them (null when unknown). */
  readonly count: number | null;
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

const recordFile = (layout: HostLayout, record: KrlRecord): HostFile => ({ path: layout.revokedKeysState, content: `${JSON.stringify(record, null, 2)}\n`, mode: 0o644 });

const fetchedRecord = (krl: FetchedKrl, now: Date): KrlRecord => ({ version: 1, fetchedAt: now.toISOString(), generatedAt: iso(krl.header.generatedAt), count: krl.count });

/** The installed KRL's header: null when there is none, KeyInvalid when it does not parse, FileSystem when unreadable. */
export const readInstalledKrl = async (layout: HostLayout, opts: KrlCheckOptions = {}): Promise<{ bytes: Buffer; header: KrlHeader } | null> => {
  const bytes = await readOptional(layout.revokedKeys);
  return bytes === null ? null : { bytes, header: await checkInstalledKrl(layout.revokedKeys, bytes, opts) };
};

/** revoked_keys.json, or null when absent or unreadable as JSON (status only reports it). */
export const readKrlRecord = async (layout: HostLayout): Promise<KrlRecord | null> => {
  const text = await readOptional(layout.revokedKeysState, 'utf8');
  if (text === null) return null;
  try {
    const r = JSON.parse(text) as Partial<KrlRecord>;
    if (r.version !== 1 || typeof r.generatedAt !== 'string') return null;
    return { version: 1, fetchedAt: typeof r.fetchedAt === 'string' ? r.fetchedAt : null, generatedAt: r.generatedAt, count: typeof r.count === 'number' ? r.count : null };
  } catch {
    return null;
  }
};

/**
 * The KRL files `lkp host` writes with its others (before sshd's configuration names them):
 * the signer's KRL when it answered; else the installed one stays; else an empty KRL, since
 * sshd must find a file. An installed file that does not parse locks every key login out,
 * so it is replaced by an empty one (and said so).
 */
export const planRevokedKeysFiles = async (layout: HostLayout, fetched: FetchedKrl | undefined, now: Date, opts: KrlCheckOptions = {}): Promise<{ files: HostFile[]; notes: string[] }> => {
  // ssh-keygen checks each KRL as the candidate file that is then renamed into place.
  const check = krlCandidateCheck(opts);
  if (fetched) {
    // An older list than the installed signer one (a stale signer instance) would undo revocations.
    const installed = installedHeader(await readOptional(layout.revokedKeys));
    if (installed && olderThanInstalled(installed, fetched.header, Math.floor(now.getTime() / 1000))) return { files: [], notes: [`warning: ${olderKrlMessage(installed, fetched.header)}`] };
  }
  if (fetched) return { files: [{ path: layout.revokedKeys, content: fetched.bytes, mode: 0o644, check }, recordFile(layout, fetchedRecord(fetched, now))], notes: [] };
  let installed: Awaited<ReturnType<typeof readInstalledKrl>>;
  let notes: string[] = [];
  try {
    installed = await readInstalledKrl(layout, opts);
  } catch (error) {
    if (!(error instanceof LkpError && error.code === 'KeyInvalid')) throw error;
    installed = null;
    notes = [`${layout.revokedKeys} does not parse (${error.message}), and sshd refuses every key login then: replaced by an empty KRL until the next refresh`];
  }
  if (installed) return { files: [], notes: [`kept the installed revocation list of ${iso(installed.header.generatedAt)}`] };
  return { files: [{ path: layout.revokedKeys, content: emptyKrl(now), mode: 0o644, check }, recordFile(layout, emptyRecord(now))], notes };
};

/**
 * Writes lkp's other host files with the KRL files (writeHostFiles: undone together on a
 * later failure). A signer KRL that ssh-keygen refuses as the candidate file is treated like
 * a failed fetch: the installed copy stays (or an empty one starts), the rest goes on.
 */
export const writeHostFilesWithKrl = async (o: {
  readonly layout: HostLayout;
  readonly files: readonly HostFile[];
  readonly stale: readonly string[];
  readonly fetched: FetchedKrl | undefined;
  readonly now: Date;
  readonly note: (line: string) => void;
  /**
   * sshd's configuration names the KRL already: a later failure (sshd -t, reload, for any
   * other reason) then leaves the KRL as written instead of rolling revocations back; it was
   * checked on its own. A KRL sshd does not name yet is taken back with the rest (harmless).
   */
  readonly krlNamed?: boolean;
}): Promise<WrittenHostFiles> => {
  const krl = await planRevokedKeysFiles(o.layout, o.fetched, o.now);
  for (const n of krl.notes) o.note(n);
  const keep = new Set(o.krlNamed ? [o.layout.revokedKeys, o.layout.revokedKeysState] : []);
  try {
    return await writeHostFiles([...o.files, ...krl.files], o.stale, keep);
  } catch (error) {
    // Only the KRL's check throws KeyInvalid here; writeHostFiles already undid its writes.
    if (!(o.fetched && error instanceof LkpError && error.code === 'KeyInvalid')) throw error;
    o.note(`warning: the signer's revocation list was not installed (SignerError: ssh-keygen does not load it: ${error.message})`);
    const fallback = await planRevokedKeysFiles(o.layout, undefined, o.now);
    for (const n of fallback.notes) o.note(n);
    return writeHostFiles([...o.files, ...fallback.files], o.stale, keep);
  }
};

/** True when the sshd configuration (main file or a drop-in) names `krl` in a RevokedKeys line. */
export const sshdNamesKrl = (input: SshdConfigInput, krl: string): boolean =>
  [input.mainText, ...(input.includedFiles ?? []).map((f) => f.text)].some((text) =>
    text.split(/\r?\n/).some((line) => {
      const m = /^\s*RevokedKeys(?:\s*=\s*|\s+)(\S+)\s*$/i.exec(line);
      return m?.[1] === krl || m?.[1] === `"${krl}"`;
    }),
  );

const emptyRecord = (now: Date): KrlRecord => ({ version: 1, fetchedAt: null, generatedAt: iso(Math.floor(now.getTime() / 1000)), count: 0 });

/** After a failed fetch: a missing or unparsable KRL (someone else's doing) becomes an empty one, so sshd admits keys again. */
const ensureUsableKrl = async (layout: HostLayout, now: Date, opts: KrlCheckOptions): Promise<void> => {
  try {
    if ((await readInstalledKrl(layout, opts)) !== null) return;
  } catch (error) {
    if (!(error instanceof LkpError && error.code === 'KeyInvalid')) throw error;
  }
  await installKrl(layout.revokedKeys, emptyKrl(now), opts);
  await writeAtomic(layout.revokedKeysState, recordFile(layout, emptyRecord(now)).content, 0o644);
};

export interface RefreshedKrl {
  readonly path: string;
  /** False when the signer's KRL was the one installed already. */
  readonly changed: boolean;
  readonly fetchedAt: string;
  readonly generatedAt: string;
  readonly count: number | null;
}

/**
 * Fetches the signer's KRL and swaps it in. When the fetch fails, or the signer's list is
 * older than the installed one (SignerError), the installed copy stays;
 * if there is none usable (deleted or damaged by hand), an empty one is put there so sshd
 * still admits keys, and the failure is thrown.
 */
export const refreshRevokedKeys = async (layout: HostLayout, fetch: () => Promise<FetchedKrl>, now: () => Date, opts: KrlCheckOptions = {}): Promise<RefreshedKrl> => {
  // A run killed mid-write left a hidden temp file (never the KRL itself half-written).
  await cleanStaleTemps(new Set([layout.dir]));
  let fetched: FetchedKrl;
  try {
    fetched = await fetch();
  } catch (error) {
    await ensureUsableKrl(layout, now(), opts);
    throw error;
  }
  const current = await readOptional(layout.revokedKeys);
  const installed = installedHeader(current);
  if (installed && olderThanInstalled(installed, fetched.header, Math.floor(now().getTime() / 1000))) {
    // Neither the list nor its record changes: the next refresh asks again.
    throw new LkpError('SignerError', olderKrlMessage(installed, fetched.header));
  }
  const changed = current === null || !current.equals(fetched.bytes);
  if (changed) {
    await installKrl(layout.revokedKeys, fetched.bytes, opts).catch(async (error: unknown) => {
      if (!(error instanceof LkpError && error.code === 'KeyInvalid')) throw error;
      // ssh-keygen refused the signer's KRL: as for a failed fetch, the installed copy stays.
      await ensureUsableKrl(layout, now(), opts);
      throw new LkpError('SignerError', `signer answered an unusable KRL: ${error.message}`, { cause: error });
    });
  }
  const record = fetchedRecord(fetched, now());
  await writeAtomic(layout.revokedKeysState, recordFile(layout, record).content, 0o644);
  return { path: layout.revokedKeys, changed, fetchedAt: record.fetchedAt as string, generatedAt: record.generatedAt, count: record.count };
};
