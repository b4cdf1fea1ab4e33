// The one way lkp installs a KRL, on a host (sshd's RevokedKeys) or a laptop (ssh's
// RevokedHostKeys): the bytes must parse as a KRL, first by lkp's own reader, then whole by
// `ssh-keygen -Q -l`, the parser sshd and ssh themselves use, run on the candidate file
// itself (the complete temp file beside the target, private to lkp, that is then renamed
// into place). sshd refuses every key login when that file is missing or does not parse (and
// ssh every host), so a bad answer never replaces a good file and a reader never sees half.
import { LkpError } from '../errors.js';
import { writeAtomic } from '../fs/write-atomic.js';
import { statusRunner, type CommandRunner } from '../sshd/runner.js';
import { encodeKrl, krlHeader, type KrlHeader } from '../ssh/krl.js';

/** More than any signer answer can carry (a Lambda response is at most 6 MB). */
export const MAX_KRL_BYTES = 16 * 1024 * 1024;

export interface KrlCheckOptions {
  /** ssh-keygen to ask (default: the one on PATH). */
  readonly sshKeygen?: string;
  /** How to run it (default: statusRunner: no shell, its listing discarded). */
  readonly run?: CommandRunner;
}

/** lkp's own reading of KRL bytes (size and header); KeyInvalid when they are not a KRL. */
export const parseKrl = (bytes: Buffer): KrlHeader => {
  if (bytes.length > MAX_KRL_BYTES) throw new LkpError('KeyInvalid', `KRL of ${bytes.length} bytes is larger than ${MAX_KRL_BYTES}`);
  return krlHeader(bytes);
};

/** Checks that the KRL file at `file` is one sshd and ssh will load: KeyInvalid when not, FileSystem when ssh-keygen cannot be run. */
export const checkKrlFile = async (file: string, opts: KrlCheckOptions = {}): Promise<void> => {
  const sshKeygen = opts.sshKeygen ?? 'ssh-keygen';
  // The listing (stdout) is not needed, only whether the whole file parsed: it is discarded
  // unread, as it grows with the revocations (past any buffer for a large KRL).
  const r = await (opts.run ?? statusRunner)(sshKeygen, ['-Q', '-l', '-f', file]);
  if (r.notFound) throw new LkpError('FileSystem', `cannot run ${sshKeygen} to check a KRL: not found`);
  // Killed (its timeout): no verdict, so no install.
  if (r.exitCode === null) throw new LkpError('FileSystem', `${sshKeygen} did not finish checking the KRL ${file}`);
  if (r.exitCode !== 0) {
    const first = r.stderr.split('\n')[0]?.trim() ?? '';
    throw new LkpError('KeyInvalid', `ssh-keygen does not load this KRL: ${first.split(file).join('it').slice(0, 200)}`);
  }
};

/** Reads and checks an installed KRL file whose bytes are `bytes`; returns its header. */
export const checkInstalledKrl = async (file: string, bytes: Buffer, opts: KrlCheckOptions = {}): Promise<KrlHeader> => {
  const header = parseKrl(bytes);
  await checkKrlFile(file, opts);
  return header;
};

/** A KRL that revokes nothing: what a host starts with, so sshd always has a file to read. */
export const emptyKrl = (now: Date): Buffer => {
  const seconds = Math.floor(now.getTime() / 1000);
  return encodeKrl({ version: 0n, generatedAt: seconds, comment: 'empty: lkp has not fetched the signer\'s revocations yet', certificates: [], sha256Fingerprints: [] });
};

/** The write check for a KRL candidate file (src/fs/write-atomic.ts `check`). */
export const krlCandidateCheck = (opts: KrlCheckOptions = {}): ((candidate: string) => Promise<void>) => (candidate) => checkKrlFile(candidate, opts);

/** Replaces `file` with checked KRL bytes: complete, fsynced, checked by ssh-keygen, renamed (readers see old or new), world-readable like sshd's other files. */
export const installKrl = async (file: string, bytes: Buffer, opts: KrlCheckOptions = {}): Promise<KrlHeader> => {
  const header = parseKrl(bytes);
  await writeAtomic(file, bytes, { mode: 0o644, syncDir: true, check: krlCandidateCheck(opts) });
  return header;
};
