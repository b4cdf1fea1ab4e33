// `lkp signer serve` checks what it needs before it says "listening": config, CA keys and
// join-token key; OS failures (port in use) are typed errors naming the port; a signal
// ends it with the shell's code for that signal after a clean shutdown.
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lkp, startLocalSigner } from '../helpers/lkp.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';

describe('lkp signer serve start-up', () => {
  const cas: LocalCa[] = [];
  const closers: Array<() => void> = [];
  afterEach(() => {
    for (const ca of cas.splice(0)) rmSync(path.dirname(ca.dir), { recursive: true, force: true });
    for (const close of closers.splice(0)) close();
  });
  const newCa = async (): Promise<LocalCa> => {
    const ca = await makeLocalCa();
    cas.push(ca);
    return ca;
  };
  // A signer that wrongly starts is killed after a while, so the test fails instead of hanging.
  const serve = (config: string, listen = '127.0.0.1:0', env: Record<string, string> = {}) => lkp(['signer', 'serve', '--config', config, '--listen', listen], { timeoutMs: 8_000, env });

  it('fail/a missing CA key stops start-up with a message naming the file and the fix', async () => {
    const ca = await newCa();
    rmSync(path.join(ca.dir, 'user_ca'));
    const r = await serve(ca.config);
    expect(r.code).toBe(23);
    expect(r.stderr).not.toMatch(/listening/);
    expect(r.stderr).toContain(path.join(ca.dir, 'user_ca'));
    expect(r.stderr).toMatch(/signer config/); // the fix
  });

  it('fail/a CA key others can read stops start-up and says chmod 600', async () => {
    const ca = await newCa();
    chmodSync(path.join(ca.dir, 'host_ca'), 0o644);
    const r = await serve(ca.config);
    expect(r.code).toBe(23);
    expect(r.stderr).not.toMatch(/listening/);
    expect(r.stderr).toContain(`chmod 600 ${path.join(ca.dir, 'host_ca')}`);
  });

  it('fail/a garbage CA key stops start-up and is not called encrypted', async () => {
    const ca = await newCa();
    writeFileSync(path.join(ca.dir, 'user_ca'), 'this is not a key\n', { mode: 0o600 });
    const r = await serve(ca.config);
    expect(r.code).toBe(23);
    expect(r.stderr).not.toMatch(/listening|encrypted/);
    expect(r.stderr).toContain(path.join(ca.dir, 'user_ca'));
    expect(r.stderr).toMatch(/ssh-keygen|lkp ca init/); // the fix
  });

  it('fail/LKP_DEBUG=1 prints the cause chain of a start-up failure on stderr', async () => {
    const ca = await newCa();
    writeFileSync(path.join(ca.dir, 'host_ca'), 'garbage\n', { mode: 0o600 });
    const r = await serve(ca.config, '127.0.0.1:0', { LKP_DEBUG: '1' });
    expect(r.code).toBe(23);
    expect(r.stderr).toMatch(/caused by KeyInvalid: .*host_ca/);
    expect(r.stderr).not.toContain('garbage');
  });

  it('fail/a join-token key others can read, or one that is not hex, stops start-up', async () => {
    const ca = await newCa();
    const keyFile = path.join(ca.dir, 'join_token.key');
    chmodSync(keyFile, 0o644);
    const open = await serve(ca.config);
    expect(open.code).toBe(20);
    expect(open.stderr).toContain(`chmod 600 ${keyFile}`);
    writeFileSync(keyFile, 'not hex\n', { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    const bad = await serve(ca.config);
    expect(bad.code).toBe(20);
    expect(bad.stderr).toContain(keyFile);
  });

  it('fail/a port in use is a typed error naming the port, not an internal error', async () => {
    const ca = await newCa();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    closers.push(() => blocker.close());
    const port = (blocker.address() as net.AddressInfo).port;
    const r = await serve(ca.config, `127.0.0.1:${port}`);
    expect(r.code).toBe(51);
    expect(r.stderr).toMatch(new RegExp(`^lkp: ListenFailed: .*127\\.0\\.0\\.1:${port}\\b`));
    expect(r.stderr).not.toMatch(/internal error/);
  });

  it('ok/ends with 130 on SIGINT and 143 on SIGTERM after a clean shutdown', async () => {
    const ca = await newCa();
    const a = await startLocalSigner(ca.config);
    expect(await a.stop('SIGINT')).toBe(130);
    const b = await startLocalSigner(ca.config);
    expect(await b.stop('SIGTERM')).toBe(143);
  });
});
