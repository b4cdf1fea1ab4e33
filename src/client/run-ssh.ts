// Runs ssh without a shell, with the terminal, and passes its exit code and signals through.
import { spawn } from 'node:child_process';
import { LkpError } from '../errors.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/** Resolves with ssh's exit code; when ssh died of a signal, this process dies of it too. */
export const runSsh = (sshPath: string, args: readonly string[], env?: Record<string, string>): Promise<number> =>
  new Promise((resolve, reject) => {
    const child = spawn(sshPath, args, { stdio: 'inherit', ...(env ? { env: { ...process.env, ...env } } : {}) });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = FORWARDED.map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    child.on('error', (error) => {
      for (const [s, h] of handlers) process.off(s, h);
      reject(new LkpError('SshFailed', `cannot run ${sshPath}: ${(error as NodeJS.ErrnoException).code ?? error.message}`));
    });
    child.on('exit', (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      if (signal) {
        process.kill(process.pid, signal);
        return;
      }
      resolve(code ?? 255);
    });
  });
