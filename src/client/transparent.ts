// The two halves of transparent ssh. `prepare` (from Match exec) makes sure a certificate
// and the address for (instance, login) are in place under ~/.lkp/hosts/ID/; `proxy` (the
// ProxyCommand) connects stdin/stdout to that address.
import { mkdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { LkpError } from '../errors.js';
import { writeAtomic } from '../fs/write-atomic.js';
import { INSTANCE_ID_RE } from '../api/target.js';
import { prepareSsh, type ExecOptions } from './exec.js';

/** Host file locations for an instance id. */
export const hostFiles = (home: string, instanceId: string, login: string) => ({
  dir: path.join(home, 'hosts', instanceId),
  cert: path.join(home, 'hosts', instanceId, `${login}-cert.pub`),
  address: path.join(home, 'hosts', instanceId, 'address'),
});

/** Obtains or reuses the certificate and address; copies them where the ssh config looks. */
export const prepareHost = async (opts: Omit<ExecOptions, 'args' | 'public' | 'refresh'> & { home: string }): Promise<void> => {
  const instanceId = opts.instanceArn;
  if (!INSTANCE_ID_RE.test(instanceId)) throw new LkpError('UsageError', `${instanceId} is not an instance id`);
  const prepared = await prepareSsh({ ...opts, public: false, refresh: false, args: [] });
  const files = hostFiles(opts.home, instanceId, opts.login);
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  await writeAtomic(files.cert, await readFile(prepared.certificatePath), 0o600);
  await writeAtomic(files.address, `${prepared.address}\n`, 0o600);
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
