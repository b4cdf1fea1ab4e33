// moto_server (the AWS emulator installed on this machine) for one bench section: on a
// free 127.0.0.1 port, no IAM enforcement (the bench measures, the tests enforce), ready
// within 30 s or a BenchError, killed by close().
import { spawn } from 'node:child_process';
import net from 'node:net';
import { BenchError } from './lib.js';

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

export const startMotoServer = async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let tail = '';
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d) => (tail = (tail + d.toString()).slice(-2000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const close = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  const spawnError = new Promise((_, reject) => child.once('error', (e) => reject(new BenchError(`moto_server cannot start (${e.message}); install it with: pip install "moto[server]"`))));
  spawnError.catch(() => undefined);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new BenchError(`moto_server exited (${child.exitCode}): ${tail}`);
    try {
      const res = await Promise.race([fetch(`${url}/moto-api/`), spawnError]);
      if (res.ok) break;
    } catch (error) {
      if (error instanceof BenchError) throw error;
    }
    if (Date.now() > deadline) {
      await close();
      throw new BenchError(`moto_server did not answer on ${url} within 30 s: ${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, close };
};
