// Which logins get a principals file: the ones named with --users, or the distribution's
// usual login that exists here. A login that does not exist is refused, not created.
import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { LkpError } from '../errors.js';
import { parseLogin, type Login } from '../ssh/names.js';

/** The usual default logins of EC2 images, most common first. */
export const DISTRO_LOGINS = ['ec2-user', 'ubuntu', 'admin', 'debian', 'centos', 'rocky', 'fedora', 'almalinux', 'bitnami'] as const;

export type UserExists = (login: string) => Promise<boolean>;

/** Looks a user up with getent (LDAP/SSSD users too), falling back to /etc/passwd. */
export const systemUserExists: UserExists = (login) =>
  new Promise((resolve) => {
    execFile('getent', ['passwd', login], (error) => {
      if (!error) return resolve(true);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return resolve(false);
      readFile('/etc/passwd', 'utf8').then(
        (text) => resolve(text.split('\n').some((l) => l.split(':')[0] === login)),
        () => resolve(false),
      );
    });
  });

/** Parses `--users a,b c` into logins. */
export const parseUsers = (value: string | readonly string[]): Login[] => {
  const names = (typeof value === 'string' ? [value] : value).flatMap((v) => v.split(/[\s,]+/)).filter(Boolean);
  if (names.length === 0) throw new LkpError('UsageError', '--users names no login');
  return [...new Set(names)].map((n) => {
    try {
      return parseLogin(n);
    } catch (error) {
      throw new LkpError('UsageError', `--users: ${(error as Error).message}`);
    }
  });
};

/** Resolves and checks the logins; throws LoginUnknown naming the missing ones. */
export const resolveLogins = async (requested: readonly Login[] | undefined, exists: UserExists): Promise<Login[]> => {
  if (requested && requested.length > 0) {
    const missing: string[] = [];
    for (const l of requested) if (!(await exists(l))) missing.push(l);
    if (missing.length > 0) throw new LkpError('LoginUnknown', `no such user on this machine: ${missing.join(', ')} (lkp never creates users; create them first or fix --users)`);
    return [...requested];
  }
  for (const l of DISTRO_LOGINS) if (await exists(l)) return [parseLogin(l)];
  throw new LkpError('LoginUnknown', `none of the usual logins (${DISTRO_LOGINS.join(', ')}) exists here; name the logins with --users`);
};
