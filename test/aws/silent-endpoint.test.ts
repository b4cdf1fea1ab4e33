// An endpoint that accepts the connection and never answers (a hung signer, a black-holed
// proxy): lkp says on stderr what it is waiting for, gives up within a bounded time, and the
// error names the AWS operation, the endpoint and the variable that steers it.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLocalCa } from '../helpers/local-ca.js';
import { lkp } from '../helpers/lkp.js';
import { currentUser } from '../helpers/openssh.js';
import { makeSandboxHost } from '../helpers/sandbox-host.js';
import { tempDir } from '../helpers/temp.js';

const ARN = 'arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0';

describe('a silent endpoint', () => {
  let server: net.Server;
  const sockets = new Set<net.Socket>();
  let url = '';

  beforeAll(async () => {
    server = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const quick = { LKP_HTTP_TIMEOUT_MS: '400' };

  it('fail/lkp host --join-token: progress on stderr, then SignerUnreachable naming Lambda Invoke, the endpoint, its variable and the attempt', async () => {
    const ca = await makeLocalCa();
    const host = await makeSandboxHost();
    // --retry-for 0: one exchange of 3 attempts (the boot-time retry window is tested in test/e2e/lkp-host-retry.test.ts).
    const r = await lkp(['host', '--join-token', ca.mint({ principals: ['quiet-host'] }), '--ssh-dir', host.sshDir, '--users', currentUser(), '--no-reload', '--retry-for', '0'], {
      env: { ...quick, AWS_ENDPOINT_URL_LAMBDA: url },
    });
    expect(r.code).toBe(30);
    expect(r.stderr).toContain(`waiting for Lambda Invoke to ${url} (AWS_ENDPOINT_URL_LAMBDA), attempt 1/3`);
    expect(r.stderr).toMatch(new RegExp(`SignerUnreachable: .*Lambda Invoke to ${url} \\(AWS_ENDPOINT_URL_LAMBDA\\) did not answer in 0\\.4 s, attempt 3/3`));
  });

  it('fail/lkp ssh exec: the signer call and the EC2 lookup both say what they wait for; EC2 DescribeInstances is named', async () => {
    const env = { ...quick, LKP_HOME: tempDir('lkp-home-'), AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_ENDPOINT_URL_LAMBDA: url, AWS_ENDPOINT_URL_EC2: url };
    const viaSigner = await lkp(['ssh', 'exec', '--instance-arn', ARN, '--address', '127.0.0.1', '--', 'true'], { env });
    expect(viaSigner.code).toBe(30);
    expect(viaSigner.stderr).toContain(`waiting for Lambda Invoke to ${url} (AWS_ENDPOINT_URL_LAMBDA)`);
    const viaEc2 = await lkp(['ssh', 'exec', '--instance-arn', ARN, '--', 'true'], { env });
    expect(viaEc2.code).toBe(34);
    expect(viaEc2.stderr).toContain(`waiting for EC2 DescribeInstances to ${url} (AWS_ENDPOINT_URL_EC2)`);
    expect(viaEc2.stderr).toMatch(/AwsError: EC2 DescribeInstances to .* \(AWS_ENDPOINT_URL_EC2\) did not answer in 0\.4 s/);
  });

  it('fail/a malformed LKP_HTTP_TIMEOUT_MS is a config error, not a silent default', async () => {
    const ca = await makeLocalCa();
    const host = await makeSandboxHost();
    const r = await lkp(['host', '--join-token', ca.mint({ principals: ['quiet-host'] }), '--ssh-dir', host.sshDir, '--users', currentUser(), '--no-reload'], {
      env: { LKP_HTTP_TIMEOUT_MS: '10s', AWS_ENDPOINT_URL_LAMBDA: url },
    });
    expect(r.code).toBe(20);
  });
});
