// --agent: put the key and its certificate into the running ssh-agent with a lifetime
// equal to the certificate's remaining validity, so the agent forgets it when it expires.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LkpError } from '../errors.js';

/** Adds KEY with CERT to the agent for `seconds`. */
export const addToAgent = async (identityPath: string, certificatePath: string, seconds: number): Promise<void> => {
  if (!process.env.SSH_AUTH_SOCK) throw new LkpError('UsageError', '--agent needs a running ssh-agent (SSH_AUTH_SOCK is not set)');
  if (seconds <= 0) throw new LkpError('UsageError', 'the certificate has expired; nothing to add to the agent');
  // ssh-add loads NAME-cert.pub next to NAME: pair a link to the key with the cached cert.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lkp-agent-'));
  try {
    await symlink(identityPath, path.join(dir, 'id'));
    await copyFile(certificatePath, path.join(dir, 'id-cert.pub'));
    await new Promise<void>((resolve, reject) =>
      execFile('ssh-add', ['-q', '-t', String(seconds), path.join(dir, 'id')], (error, _out, stderr) =>
        error ? reject(new LkpError('SshFailed', `ssh-add failed: ${stderr.trim() || error.message}`)) : resolve(),
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
