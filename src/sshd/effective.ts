// What sshd will actually use, from `sshd -T` (its own reading of the configuration):
// lkp certifies only the host keys sshd loads, because a HostCertificate without its
// HostKey makes sshd refuse the configuration.
import { LkpError } from '../errors.js';
import { processRunner, type CommandRunner } from './runner.js';

/** The HostKey paths sshd would load from `configPath`. */
export const effectiveHostKeys = async (opts: { sshdPath: string; configPath: string; run?: CommandRunner }): Promise<string[]> => {
  const run = opts.run ?? processRunner;
  // HostKey is global-only, so any connection spec gives the same list; a full spec keeps
  // sshd -T from refusing configurations with `Match LocalPort` and the like.
  const result = await run(opts.sshdPath, ['-T', '-f', opts.configPath, '-C', 'user=root,host=localhost,addr=127.0.0.1,laddr=127.0.0.1,lport=22']);
  if (result.notFound) throw new LkpError('SshdConfigInvalid', `${opts.sshdPath} not found; pass --sshd with the sshd binary`);
  if (result.exitCode !== 0) {
    const why = (result.stderr.trim() || result.stdout.trim()).split('\n')[0] ?? `exit ${result.exitCode}`;
    throw new LkpError('SshdConfigInvalid', `sshd rejects the current configuration ${opts.configPath} (fix it first; lkp changes nothing): ${why}`);
  }
  return result.stdout
    .split('\n')
    .filter((l) => /^hostkey /i.test(l))
    .map((l) => l.slice('hostkey '.length).trim());
};
