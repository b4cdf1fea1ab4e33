// Runs the real lkp CLI (the compiled bin, as `npx lkp` would) and the local signer.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { onCleanup } from './temp.js';

export const LKP_BIN = path.resolve('bin/lkp.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `lkp ARGS` to completion. */
export const lkp = (args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CliResult> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [LKP_BIN, ...args], { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });

export interface LocalSigner {
  readonly url: string;
  readonly process: ChildProcess;
  /** Audit lines printed so far, parsed. */
  audit(): Array<Record<string, unknown>>;
  /** Waits (briefly) until at least `count` audit lines arrived through the pipe. */
  waitForAudit(count: number): Promise<Array<Record<string, unknown>>>;
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `lkp signer serve --config FILE --listen 127.0.0.1:0` and waits for its address. */
export const startLocalSigner = async (config: string, extra: string[] = [], env: Record<string, string> = {}): Promise<LocalSigner> => {
  const child = spawn(process.execPath, [LKP_BIN, 'signer', 'serve', '--config', config, '--listen', '127.0.0.1:0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  // A signer left running keeps writing its audit and ledger into a removed CA folder.
  onCleanup(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`signer did not start: ${err}`)), 15_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code) => reject(new Error(`signer exited ${code}: ${err}`)));
  });
  const audit = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    url,
    process: child,
    audit,
    waitForAudit: async (count) => {
      for (let i = 0; i < 200 && audit().length < count; i += 1) await new Promise((r) => setTimeout(r, 10));
      return audit();
    },
    stderr: () => err,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
};
