// The client side of Lambda Invoke (client-lambda, one SDK attempt, lkp's own loop) against
// the loopback Lambda fake, which checks SigV4 and answers as Lambda does: function errors,
// 404, 403, expired credentials, 429, and a signer's Throttled answer.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callSigner, invokeSigner } from '../../src/aws/invoke-signer.js';
import { isTransient } from '../../src/aws/transient.js';
import { setWaitNotice } from '../../src/aws/http.js';
import { assumedRole, CredentialRegistry, iamUser, sdkCredentials } from '../fakes/credentials.js';
import { startFakeLambda, type FakeLambda } from '../fakes/lambda.js';
import { onCleanup } from '../helpers/temp.js';

const CA_KEYS = { version: 1, action: 'ca-keys' } as const;
const answer = { version: 1, requestId: 'r1', serverId: 'lkp-test', hostCaKeys: [], userCaKeys: [], serverTime: '2026-01-01T00:00:00.000Z' };

describe('invokeSigner through client-lambda', () => {
  const registry = new CredentialRegistry();
  const caller = registry.add(iamUser('host'));
  const credentials = sdkCredentials(caller);
  let lambda: FakeLambda;
  let throttledAnswers = 0;
  const saved = process.env.AWS_ENDPOINT_URL_LAMBDA;
  const notices: string[] = [];

  beforeAll(async () => {
    lambda = await startFakeLambda({
      registry,
      authorize: (_who, arn) => !arn.endsWith(':function:locked'),
      functions: {
        signer: () => answer,
        crashes: () => {
          throw new Error('boom');
        },
        busy: () => (throttledAnswers-- > 0 ? { version: 1, requestId: 'r2', error: { code: 'Throttled', message: 'slow down' } } : answer),
        locked: () => answer,
      },
    });
    process.env.AWS_ENDPOINT_URL_LAMBDA = lambda.url;
    setWaitNotice((l) => notices.push(l));
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
    else process.env.AWS_ENDPOINT_URL_LAMBDA = saved;
    await lambda?.close();
  });

  const calls = (fn: string) => lambda.invocations.filter((i) => i.requested === fn).length;
  const opts = (functionName: string) => ({ functionName, region: 'us-east-1', credentials });

  it('ok/a signed RequestResponse Invoke returns the answer', async () => {
    expect(await invokeSigner(CA_KEYS, opts('signer'))).toEqual(answer);
    expect(lambda.invocations.at(-1)).toMatchObject({ functionName: 'signer', invocationType: 'RequestResponse', callerArn: caller.arn, payload: CA_KEYS });
  });

  it('fail/a function error is SignerError, not retried', async () => {
    await expect(invokeSigner(CA_KEYS, opts('crashes'))).rejects.toMatchObject({ code: 'SignerError' });
    expect(calls('crashes')).toBe(1);
  });

  it('fail/an unknown function is SignerUnreachable (a fallback may have it), not transient, one call', async () => {
    const error = await invokeSigner(CA_KEYS, opts('nosuch')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SignerUnreachable' });
    expect(isTransient(error)).toBe(false);
    expect(calls('nosuch')).toBe(1);
  });

  it('fail/not allowed to invoke (403) is SignerUnreachable for failover, not transient, one call', async () => {
    const error = await invokeSigner(CA_KEYS, opts('locked')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SignerUnreachable' });
    expect(isTransient(error)).toBe(false);
    expect(calls('locked')).toBe(1);
  });

  it('fail/expired credentials are AwsCredentialsMissing', async () => {
    const expired = registry.add(assumedRole('AWSReservedSSO_Admin_x', 'alice', { ttlMs: -60_000 }));
    await expect(invokeSigner(CA_KEYS, { ...opts('signer'), credentials: sdkCredentials(expired) })).rejects.toMatchObject({ code: 'AwsCredentialsMissing' });
  });

  it('ok/HTTP 429 twice, then an answer: retried within the 3 attempts, with a progress line', async () => {
    const before = calls('signer');
    lambda.failNext(2);
    expect(await invokeSigner(CA_KEYS, opts('signer'))).toEqual(answer);
    expect(calls('signer') - before).toBe(3);
    expect(notices.some((l) => /answered HTTP 429 TooManyRequestsException, attempt 1\/3; next try in/.test(l))).toBe(true);
  });

  it('fail/HTTP 429 on every attempt: SignerUnreachable, transient (a boot window may retry it)', async () => {
    lambda.failNext(3);
    const error = await invokeSigner(CA_KEYS, opts('signer')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SignerUnreachable' });
    expect(isTransient(error)).toBe(true);
  });

  it('ok/a Throttled answer is retried; after the last attempt callSigner throws Throttled', async () => {
    throttledAnswers = 2;
    expect(await callSigner(CA_KEYS, opts('busy'))).toEqual(answer);
    expect(calls('busy')).toBe(3);
    throttledAnswers = 5;
    const error = await callSigner(CA_KEYS, { ...opts('busy'), attempts: 2 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Throttled' });
    expect(isTransient(error)).toBe(true);
    expect(calls('busy')).toBe(5);
  });
});

describe('invokeSigner when this clock is off', () => {
  it("ok/AWS refuses a request dated an hour off; the SDK reads the server's clock from that answer and the next attempt passes", async () => {
    // Lambda's own rule, on loopback: x-amz-date more than 5 minutes from its clock is
    // InvalidSignatureException (403), with its Date header. Its clock is an hour ahead of ours.
    const skew = 3_600_000;
    const dates: string[] = [];
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const amzDate = String(req.headers['x-amz-date'] ?? '');
        dates.push(amzDate);
        const sent = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
        const serverNow = Date.now() + skew;
        const headers = { date: new Date(serverNow).toUTCString(), 'content-type': 'application/json' };
        if (Math.abs(serverNow - sent) > 300_000) {
          res.writeHead(403, { ...headers, 'x-amzn-errortype': 'InvalidSignatureException' });
          res.end(JSON.stringify({ message: 'Signature expired: is now earlier than ...' }));
          return;
        }
        res.writeHead(200, headers);
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise((resolve) => server.close(resolve)));
    const saved = process.env.AWS_ENDPOINT_URL_LAMBDA;
    process.env.AWS_ENDPOINT_URL_LAMBDA = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const credentials = { accessKeyId: 'AKIDCLOCKTEST', secretAccessKey: 'secret' };
      // attempts 1, as lkp host runs it inside its window: the corrected retry is not counted.
      expect(await invokeSigner(CA_KEYS, { functionName: 'signer', region: 'us-east-1', credentials, attempts: 1 })).toEqual(answer);
      expect(dates).toHaveLength(2);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
      else process.env.AWS_ENDPOINT_URL_LAMBDA = saved;
    }
  });
});
