// The two halves of transparent ssh. `prepare` (from Match exec) makes sure a certificate
// and the address for (instance, login) are in place under ~/.lkp/hosts/ID/, with the
// per-instance ssh config that lets the next connections skip lkp entirely until the
// certificate expires; `proxy` (the ProxyCommand) connects stdin/stdout to that address
// when that config could not be written.
import { mkdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { LkpError } from '../errors.js';
import { writeAtomic } from '../fs/write-atomic.js';
import { INSTANCE_ID_RE } from '../api/target.js';
import { parseCertificate } from '../ssh/parse-certificate.js';
import { safetyMargin } from './cert-cache.js';
import { prepareSsh, type ExecOptions } from './exec.js';
import { hostConfigInclude, isPlainAddress, renderExpiryGuard, renderHostConfig } from './ssh-config.js';

/** Host file locations for an instance id. */
export const hostFiles = (home: string, instanceId: string, login: string) => ({
  dir: path.join(home, 'hosts', instanceId),
  cert: path.join(home, 'hosts', instanceId, `${login}-cert.pub`),
  address: path.join(home, 'hosts', instanceId, 'address'),
  /** The per-instance ssh config (Included by the block) and its expiry guard. */
  config: path.join(home, 'hosts', instanceId, `${login}.conf`),
  guard: path.join(home, 'hosts', instanceId, `${login}.valid`),
});

/** Obtains or reuses the certificate and address; copies them where the ssh config looks. */
export const prepareHost = async (opts: Omit<ExecOptions, 'args' | 'public' | 'refresh'> & { home: string }): Promise<void> => {
  const instanceId = opts.instanceArn;
  if (!INSTANCE_ID_RE.test(instanceId)) throw new LkpError('UsageError', `${instanceId} is not an instance id`);
  const prepared = await prepareSsh({ ...opts, public: false, refresh: false, args: [] });
  const files = hostFiles(opts.home, instanceId, opts.login);
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  const cert = await readFile(prepared.certificatePath);
  await writeAtomic(files.cert, cert, 0o600);
  await writeAtomic(files.address, `${prepared.address}\n`, 0o600);
  if (!hostConfigInclude(opts.home) || !isPlainAddress(prepared.address)) {
    // ssh could not read it back safely: this login keeps the prepare + proxy path.
    await rm(files.config, { force: true });
    return;
  }
  // Used while the cache would use it: until the safety margin before expiry (cert-cache.ts).
  const parsed = parseCertificate(cert.toString('utf8').trim());
  const validBefore = Math.min(Number(parsed.validBefore), 253402300799); // "forever": year 9999
  const until = validBefore - safetyMargin(validBefore - Number(parsed.validAfter));
  // The guard first, then the file that names it (an ssh in between sees the old pair).
  await writeAtomic(files.guard, renderExpiryGuard(until), 0o700);
  await writeAtomic(
    files.config,
    renderHostConfig({ instanceId, login: opts.login, address: prepared.address, identity: prepared.identityPath, certificate: files.cert, knownHosts: prepared.knownHosts, guard: files.guard }),
    0o600,
  );
};

/** Pipes stdin/stdout to ADDRESS:PORT for the instance (ssh's ProxyCommand). */
export const proxyToHost = async (home: string, instanceId: string, port: number): Promise<void> => {
  if (!INSTANCE_ID_RE.test(instanceId)) throw new LkpError('UsageError', `${instanceId} is not an instance id`);
  let address: string;
  try {
    address = (await readFile(hostFiles(home, instanceId, 'x').address, 'utf8')).trim();
  } catch {
    throw new LkpError('UsageError', `no address for ${instanceId}: lkp ssh prepare has not run for it`);
  }
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host: address, port }, () => {
      process.stdin.pipe(socket);
      socket.pipe(process.stdout);
    });
    socket.on('error', (error) => reject(new LkpError('SshFailed', `cannot connect to ${instanceId} at ${address}:${port}: ${(error as NodeJS.ErrnoException).code ?? error.message}`)));
    socket.on('close', () => resolve());
    process.stdin.on('end', () => socket.end());
  });
};
