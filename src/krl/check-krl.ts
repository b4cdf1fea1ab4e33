// The one way lkp installs a KRL, on a host (sshd's RevokedKeys) or a laptop (ssh's
// RevokedHostKeys): the bytes must parse as a KRL, first by lkp's own reader, then whole by
// `ssh-keygen -Q -l`, the parser sshd and ssh themselves use; only then are they swapped in
// by rename. sshd refuses every key login when that file is missing or does not parse (and
// ssh every host), so a bad answer never replaces a good file and a reader never sees half.
import { spawn } from 'node:child_process';
import { LkpError } from '../errors.js';
import { writeAtomic } from '../fs/write-atomic.js';
import { encodeKrl, krlHeader, type KrlHeader } from '../ssh/krl.js';

/** More than any signer answer can carry (a Lambda response is at most 6 MB). */
export const MAX_KRL_BYTES = 16 * 1024 * 1024;

/** Runs `ssh-keygen -Q -l -f /dev/stdin` on the bytes; resolves with its exit code and first stderr line. */
const sshKeygenList = (bytes: Buffer, sshKeygen: string): Promise<{ code: number; message: string }> =>
  new Promise((resolve, reject) => {
    // ssh-keygen reads a KRL only from a path. Node's stdin "pipe" is a socket, which
    // /dev/stdin cannot reopen (ENXIO), so cat hands it a real pipe: no temp file to leave
    // behind when lkp is killed. The path is $0, never part of the script text.
    // stdout (the listing) is not needed and may be long: only whether it parsed matters.
    const child = spawn('/bin/sh', ['-c', 'cat | "$0" -Q -l -f /dev/stdin', sshKeygen], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(new LkpError('FileSystem', `cannot run ${sshKeygen} to check a KRL: ${error.code ?? error.message}`, { cause: error })),
    );
    // ssh-keygen may stop reading early on a bad file: that is its verdict, not ours to report.
    child.stdin.on('error', () => undefined);
    child.stdin.end(bytes);
    child.on('close', (code) => {
      // 127: the shell found no ssh-keygen.
      if (code === 127) reject(new LkpError('FileSystem', `cannot run ${sshKeygen} to check a KRL: not found`));
      else resolve({ code: code ?? -1, message: stderr.split('\n')[0]?.trim() ?? '' });
    });
  });

/** Checks that `bytes` are a KRL sshd and ssh will load; returns its header. Throws KeyInvalid (or FileSystem without ssh-keygen). */
export const checkKrl = async (bytes: Buffer, opts: { sshKeygen?: string } = {}): Promise<KrlHeader> => {
  if (bytes.length > MAX_KRL_BYTES) throw new LkpError('KeyInvalid', `KRL of ${bytes.length} bytes is larger than ${MAX_KRL_BYTES}`);
  const header = krlHeader(bytes);
  const verdict = await sshKeygenList(bytes, opts.sshKeygen ?? 'ssh-keygen');
  if (verdict.code !== 0) throw new LkpError('KeyInvalid', `ssh-keygen does not load this KRL: ${verdict.message.replace('/dev/stdin', 'it').slice(0, 200)}`);
  return header;
};

/** A KRL that revokes nothing: what a host starts with, so sshd always has a file to read. */
export const emptyKrl = (now: Date): Buffer => {
  const seconds = Math.floor(now.getTime() / 1000);
  return encodeKrl({ version: 0n, generatedAt: seconds, comment: 'empty: lkp has not fetched the signer\'s revocations yet', certificates: [], sha256Fingerprints: [] });
};

/** Replaces `file` with checked KRL bytes: complete, fsynced, renamed (readers see old or new), world-readable like sshd's other files. */
export const installKrl = async (file: string, bytes: Buffer, opts: { sshKeygen?: string } = {}): Promise<KrlHeader> => {
  const header = await checkKrl(bytes, opts);
  await writeAtomic(file, bytes, { mode: 0o644, syncDir: true });
  return header;
};
