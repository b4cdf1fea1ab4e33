// `lkp signer serve` under hostile input: no request may end the process (a dead signer's
// port could be bound by any local user posing as the signer), decode failures are 400,
// deep nesting is a BadRequest answer, and a failure around the handler is a 500 function
// error that is reported. Internal answers keep their cause chain in the audit line only.
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { LkpError } from '../../src/errors.js';
import type { AuditRecord } from '../../src/signer/audit.js';
import { createSignerHandler, type SignerHandler } from '../../src/signer/handle.js';
import { parseSignerConfig } from '../../src/signer/config.js';
import { serveSigner } from '../../src/signer/serve.js';
import { invokeJson, invokeRaw, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { invokeRequest, rawHttp } from '../helpers/raw-http.js';

const portOf = (url: string): number => Number(new URL(url).port);
const deepBody = (levels: number): string => `{"version":1,"action":"ca-keys","x":${'['.repeat(levels)}${']'.repeat(levels)}}`;

describe('lkp signer serve survives hostile requests', () => {
  let ca: LocalCa;
  let signer: LocalSigner;
  let client: LambdaClient;

  beforeAll(async () => {
    ca = await makeLocalCa();
    signer = await startLocalSigner(ca.config);
    client = lambdaClient(signer.url);
  });
  afterAll(async () => {
    await signer?.stop();
    if (ca) rmSync(path.dirname(ca.dir), { recursive: true, force: true });
  });

  it('fail/broken percent-encoding in the function name is answered 400 and the signer keeps serving', async () => {
    for (const name of ['%', '%E0%A4%A', '%ZZ', 'a%', '%ed%a0%80']) {
      const answer = await rawHttp(portOf(signer.url), [invokeRequest(name, '{"version":1,"action":"ca-keys"}')]);
      expect(answer.status, name).toBe(400);
      expect(answer.text).toMatch(/x-amzn-errortype: InvalidParameterValueException/i);
    }
    expect(signer.process.exitCode).toBeNull();
    const { body } = await invokeJson(client, { version: 1, action: 'ca-keys' });
    expect(body.hostCaKeys).toHaveLength(1);
  });

  it('fail/a body nested 5,000 levels deep (under 32 KiB) is a BadRequest answer, not a function error', async () => {
    const body = deepBody(5000);
    expect(body.length).toBeLessThan(32 * 1024);
    const before = signer.audit().length;
    const answer = await invokeRaw(client, body);
    expect(answer.functionError).toBeUndefined();
    expect(answer.body.error).toMatchObject({ code: 'BadRequest' });
    const audit = await signer.waitForAudit(before + 1);
    expect(audit.at(-1)).toMatchObject({ outcome: 'denied', code: 'BadRequest' });
    // An ordinary request still has all the depth it needs.
    expect((await invokeJson(client, { version: 1, action: 'ca-keys' })).body.hostCaKeys).toHaveLength(1);
  });
});

describe('serveSigner guards its listener', () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const s of servers) s.close();
  });
  const start = async (handler: SignerHandler, onError?: Parameters<typeof serveSigner>[1]['onError']): Promise<number> => {
    const server = await serveSigner(handler, { host: '127.0.0.1', port: 0, ...(onError ? { onError } : {}) });
    servers.push(server);
    return (server.address() as { port: number }).port;
  };

  it('fail/an answer the server cannot send is a 500 function error, reported, and the server keeps serving', async () => {
    const reported: string[] = [];
    let calls = 0;
    // A BigInt cannot be serialised: the failure happens after the handler, inside the listener.
    const port = await start(
      async () => {
        calls += 1;
        return (calls === 1 ? { big: 1n } : { version: 1, requestId: 'r', serverId: 's', hostCaKeys: [], userCaKeys: [] }) as never;
      },
      (_error, _id, where) => reported.push(where),
    );
    const first = await rawHttp(port, [invokeRequest('lkp-signer', '{}')]);
    expect(first.status).toBe(500);
    expect(first.text).toMatch(/x-amz-function-error: Unhandled/i);
    expect(first.text).not.toMatch(/BigInt/);
    expect(reported).toEqual(['server']);
    const second = await invokeJson(lambdaClient(`http://127.0.0.1:${port}`), { version: 1, action: 'ca-keys' });
    expect(second.body.serverId).toBe('s');
  });

  it('fail/an Internal answer carries the cause chain in the audit line, redacted, and never in the answer', async () => {
    const records: AuditRecord[] = [];
    const keyish = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW';
    const config = parseSignerConfig({ version: 1, serverId: 'lkp-test', hostCa: { store: 'file', paths: ['h'] }, userCa: { store: 'file', paths: ['u'] }, rules: [] }, '/nonexistent/signer.json');
    const handler = createSignerHandler({
      config,
      caKeys: async () => {
        throw new LkpError('CaKeyUnavailable', 'cannot load CA key from secretsmanager lkp/host-ca', { cause: new LkpError('AwsError', 'request to secrets failed', { cause: Object.assign(new Error(`connect ECONNREFUSED ${keyish}`), { code: 'ECONNREFUSED' }) }) });
      },
      verifiers: {},
      audit: (r) => records.push(r),
      now: () => Math.floor(Date.now() / 1000),
    });
    const port = await start(handler);
    const { body, functionError } = await invokeJson(lambdaClient(`http://127.0.0.1:${port}`), { version: 1, action: 'ca-keys' });
    expect(functionError).toBeUndefined();
    expect(body.error).toMatchObject({ code: 'Internal' });
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|secretsmanager/);
    const line = records.at(-1);
    expect(line).toMatchObject({ outcome: 'denied', code: 'Internal' });
    expect(line?.causes).toEqual([expect.stringMatching(/^AwsError: request to secrets failed/), expect.stringMatching(/^ECONNREFUSED: connect ECONNREFUSED/)]);
    expect(JSON.stringify(line)).not.toContain(keyish);
  });

  it('fail/a bug is a function error whose audit line says what failed, redacted', async () => {
    const records: AuditRecord[] = [];
    const keyish = 'AAAAC3NzaC1lZDI1NTE5AAAAIG0s3cr3tK3yM4t3r14lsh0uldn3v3rb3l0gg3d';
    const config = parseSignerConfig({ version: 1, serverId: 'lkp-test', hostCa: { store: 'file', paths: ['h'] }, userCa: { store: 'file', paths: ['u'] }, rules: [] }, '/nonexistent/signer.json');
    const handler = createSignerHandler({
      config,
      caKeys: async () => {
        throw new TypeError(`cannot read properties of undefined near ${keyish}`);
      },
      verifiers: {},
      audit: (r) => records.push(r),
      now: () => Math.floor(Date.now() / 1000),
    });
    const port = await start(handler);
    const { functionError, body } = await invokeJson(lambdaClient(`http://127.0.0.1:${port}`), { version: 1, action: 'ca-keys' });
    expect(functionError).toBe('Unhandled');
    expect(JSON.stringify(body)).not.toMatch(/TypeError|cannot read/);
    expect(records.at(-1)).toMatchObject({ outcome: 'error', code: 'Internal', reason: expect.stringMatching(/^TypeError: cannot read properties/) });
    expect(JSON.stringify(records.at(-1))).not.toContain(keyish);
  });
});
