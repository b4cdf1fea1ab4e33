// --agent: put the key and its certificate into the running ssh-agent with a lifetime
// equal to the certificate's remaining validity, so the agent forgets it when it expires;
// and (for `lkp ssh logout`) list the agent's identities and remove chosen ones.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
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

const sshAdd = (args: string[], sock: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) =>
    execFile('ssh-add', args, { env: { ...process.env, SSH_AUTH_SOCK: sock } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 127) : 0, stdout, stderr }),
    ),
  );

export type AgentListing = { readonly reachable: true; readonly lines: readonly string[] } | { readonly reachable: false; readonly message: string };

/** The agent's identities as public key lines (`ssh-add -L`); exit 1 means it holds none. */
export const listAgent = async (sock: string): Promise<AgentListing> => {
  const r = await sshAdd(['-L'], sock);
  if (r.code === 0) return { reachable: true, lines: r.stdout.split('\n').filter((l) => l.trim()) };
  if (r.code === 1) return { reachable: true, lines: [] };
  return { reachable: false, message: r.stderr.trim() || `ssh-add -L exited ${r.code}` };
};

/** Removes exactly these identities (public key or certificate lines) from the agent. */
export const removeFromAgent = async (sock: string, lines: readonly string[]): Promise<void> => {
  if (lines.length === 0) return;
  // ssh-add -d takes public key files; a certificate file removes that certificate only.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lkp-agent-'));
  try {
    const files = lines.map((_, i) => path.join(dir, `${i}.pub`));
    await Promise.all(lines.map((line, i) => writeFile(files[i] as string, `${line}\n`, { mode: 0o600 })));
    const r = await sshAdd(['-q', '-d', ...files], sock);
    if (r.code !== 0) throw new LkpError('SshFailed', `ssh-add -d failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
