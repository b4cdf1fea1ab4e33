// Ordinary OS failures (a file that exists, a full disk, a port in use) become typed
// errors that name the path or port and say what to do, instead of "internal error".
// One mapping for the whole CLI: call sites that know more pass the path or a fix.
import { LkpError } from './errors.js';

export interface SystemErrorContext {
  /** The file or folder involved, when the error itself does not carry it. */
  readonly path?: string;
  /** What a person should do instead (overrides the generic advice). */
  readonly fix?: string;
}

type Errno = NodeJS.ErrnoException & { address?: string; port?: number };

const FILE_PROBLEMS: Readonly<Record<string, readonly [string, string]>> = {
  EEXIST: ['already exists', 'choose another path or remove it first'],
  ENOENT: ['does not exist', 'check the path'],
  ENOTDIR: ['has a part that is not a folder', 'check the path'],
  EISDIR: ['is a folder, not a file', 'name a file'],
  EACCES: ['is not accessible to this user (permission denied)', 'fix its permissions or run as a user who may use it'],
  EPERM: ['may not be changed by this user (operation not permitted)', 'fix its permissions or run as a user who may use it'],
  ENOSPC: ['cannot be written: no space left on the device', 'free some space and try again'],
  EDQUOT: ['cannot be written: disk quota exceeded', 'free some space and try again'],
  EROFS: ['is on a read-only file system', 'choose a writable location'],
  EMFILE: ['cannot be opened: too many open files', 'raise the open-file limit (ulimit -n) and try again'],
  ENFILE: ['cannot be opened: too many open files on this system', 'try again later'],
  ENAMETOOLONG: ['is too long a name', 'choose a shorter path'],
  ELOOP: ['has too many symbolic links', 'check the path for a link loop'],
  EBUSY: ['is busy', 'try again when it is no longer in use'],
  ETXTBSY: ['is busy', 'try again when it is no longer in use'],
};

const LISTEN_PROBLEMS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is already in use; stop the other process or choose another port',
  EACCES: 'this user may not bind that port; choose a port above 1023',
  EPERM: 'this user may not bind that port; choose a port above 1023',
  EADDRNOTAVAIL: 'that address is not on this machine; listen on 127.0.0.1',
};

// File-system calls only: a failed spawn or DNS lookup is not a file problem.
const FILE_SYSCALLS = new Set(['open', 'close', 'read', 'write', 'mkdir', 'mkdtemp', 'rmdir', 'rm', 'unlink', 'rename', 'stat', 'lstat', 'fstat', 'access', 'chmod', 'fchmod', 'chown', 'fchown', 'copyfile', 'link', 'symlink', 'readlink', 'realpath', 'scandir', 'opendir', 'fsync', 'fdatasync', 'ftruncate', 'utime', 'futime']);

/** Whether `error` is a Node system error (errno code and syscall). */
export const isSystemError = (error: unknown): error is Errno =>
  error instanceof Error && typeof (error as Errno).code === 'string' && /^E[A-Z0-9]+$/.test((error as Errno).code as string) && typeof (error as Errno).syscall === 'string';

/** The typed error for an expected OS failure, or undefined for anything else. */
export const systemErrorToLkp = (error: unknown, context: SystemErrorContext = {}): LkpError | undefined => {
  if (!isSystemError(error)) return undefined;
  const code = error.code as string;
  if (error.syscall === 'listen' || error.syscall === 'bind') {
    const problem = LISTEN_PROBLEMS[code];
    if (!problem) return undefined;
    const where = `${error.address ?? 'address'}${error.port !== undefined ? `:${error.port}` : ''}`;
    return new LkpError('ListenFailed', `cannot listen on ${where}: ${context.fix ? `${problem.split(';')[0]}; ${context.fix}` : problem}`, { cause: error });
  }
  const problem = error.syscall === 'mkdir' && code === 'EEXIST' ? (['already exists and is not a folder', 'choose another path'] as const) : FILE_PROBLEMS[code];
  if (!problem || !FILE_SYSCALLS.has(error.syscall as string)) return undefined;
  const file = context.path ?? error.path;
  return new LkpError('FileSystem', `${file ?? 'a file'} ${problem[0]}; ${context.fix ?? problem[1]}`, { cause: error });
};

/** Rethrows an expected OS failure as a typed error; anything else unchanged. */
export const rethrowSystemError = (error: unknown, context: SystemErrorContext = {}): never => {
  throw systemErrorToLkp(error, context) ?? error;
};
