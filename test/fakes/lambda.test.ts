import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CredentialRegistry, iamUser, instanceRole, sdkCredentials, type TestIdentity } from './credentials.js';
import { startFakeLambda, type FakeLambda } from './lambda.js';

const registry = new CredentialRegistry();
const caller = registry.add(instanceRole('i-0fedcba9876543210', 'lkp-signer'));
const denied = registry.add(iamUser('denied'));
let lambda: FakeLambda;
const saved = process.env.AWS_ENDPOINT_URL_LAMBDA;

const client = (identity: TestIdentity = caller, extra: { region?: string; requestTimeout?: number } = {}): LambdaClient =>
  new LambdaClient({
    region: extra.region ?? 'us-east-1',
    maxAttempts: 1,
    credentials: sdkCredentials(identity),
    ...(extra.requestTimeout !== undefined ? { requestHandler: { requestTimeout: extra.requestTimeout, throwOnRequestTimeout: true } } : {}),
  });

const invoke = (c: LambdaClient, FunctionName: string, payload: unknown, more: Partial<ConstructorParameters<typeof InvokeCommand>[0]> = {}) =>
  c.send(new InvokeCommand({ FunctionName, Payload: Buffer.from(JSON.stringify(payload)), ...more }));

const decode = (p: Uint8Array | undefined): unknown => JSON.parse(Buffer.from(p ?? []).toString('utf8'));

beforeAll(async () => {
  lambda = await startFakeLambda({
    registry,
    authorize: (identity) => identity.arn !== denied.arn,
    functions: {
      'lkp-authoriser': async (payload, name, ctx) => ({ allow: true, echo: payload, name, caller: ctx.caller.arn }),
      crash: () => {
        throw new TypeError('boom');
      },
    },
  });
  process.env.AWS_ENDPOINT_URL_LAMBDA = lambda.url;
});
afterAll(async () => {
  process.env.AWS_ENDPOINT_URL_LAMBDA = saved;
  await lambda.close();
});

describe('fake Lambda Invoke through @aws-sdk/client-lambda', () => {
  it('runs the handler with the payload, by name or by ARN', async () => {
    for (const name of ['lkp-authoriser', lambda.functionArn('lkp-authoriser'), '111122223333:function:lkp-authoriser']) {
      const out = await invoke(client(), name, { user: 'alice' });
      expect(out.StatusCode).toBe(200);
      expect(out.FunctionError).toBeUndefined();
      expect(out.ExecutedVersion).toBe('$LATEST');
      expect(decode(out.Payload)).toEqual({ allow: true, echo: { user: 'alice' }, name: 'lkp-authoriser', caller: caller.arn });
    }
    // The ARN travels URL-encoded in the path and still verifies.
    expect(lambda.requests.at(-2)?.path).toBe('/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A111122223333%3Afunction%3Alkp-authoriser/invocations');
    expect(lambda.invocations.at(-1)).toMatchObject({ functionName: 'lkp-authoriser', region: 'us-east-1', callerArn: caller.arn });
  });

  it('a thrown error is a FunctionError (HTTP 200), not an exception', async () => {
    const out = await invoke(client(), 'crash', {}, { LogType: 'Tail' });
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(decode(out.Payload)).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
    expect(Buffer.from(out.LogResult ?? '', 'base64').toString()).toMatch(/^START RequestId:/);
  });

  it('an unknown function is ResourceNotFoundException (404)', async () => {
    const err = await invoke(client(), 'nope', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    expect((err as Error).message).toBe('Function not found: arn:aws:lambda:us-east-1:111122223333:function:nope');
    const other = await invoke(client(), 'arn:aws:lambda:eu-west-1:111122223333:function:lkp-authoriser', {}).catch((e: unknown) => e);
    expect((other as Error).message).toBe("Functions from 'eu-west-1' are not reachable in this region ('us-east-1')");
  });

  it('refuses a tampered signature and an unknown key', async () => {
    const bad = new LambdaClient({ region: 'us-east-1', maxAttempts: 1, credentials: { ...sdkCredentials(caller), secretAccessKey: 'wrong' } });
    await expect(invoke(bad, 'lkp-authoriser', {})).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
    await expect(invoke(client(iamUser('stranger')), 'lkp-authoriser', {})).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    await expect(invoke(client(denied), 'lkp-authoriser', {})).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('Event and DryRun invocation types', async () => {
    let ran = 0;
    lambda.setFunction('async', () => {
      ran += 1;
    });
    const ev = await invoke(client(), 'async', {}, { InvocationType: 'Event' });
    expect(ev.StatusCode).toBe(202);
    const dry = await invoke(client(), 'async', {}, { InvocationType: 'DryRun' });
    expect(dry.StatusCode).toBe(204);
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toBe(1);
    lambda.removeFunction('async');
  });

  // NB: the SDK's requestTimeout only logs a warning unless throwOnRequestTimeout is set.
  it('a delay makes the client time out; throttles are injected', async () => {
    lambda.setDelay(500);
    const started = Date.now();
    await expect(invoke(client(caller, { requestTimeout: 100 }), 'lkp-authoriser', {})).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(450);
    lambda.setDelay(0);
    lambda.failNext(1);
    await expect(invoke(client(), 'lkp-authoriser', {})).rejects.toMatchObject({ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
  });

  it('a body that is not JSON is InvalidRequestContentException', async () => {
    const c = client();
    await expect(c.send(new InvokeCommand({ FunctionName: 'lkp-authoriser', Payload: Buffer.from('{nope') }))).rejects.toMatchObject({
      name: 'InvalidRequestContentException',
    });
  });
});
