// The real @aws-sdk/client-lambda pointed at a loopback signer.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

export interface RawAnswer {
  readonly functionError?: string;
  readonly body: Record<string, unknown>;
}

export const lambdaClient = (endpoint: string): LambdaClient =>
  new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });

/** Invokes with raw payload bytes (so malformed JSON can be sent too). */
export const invokeRaw = async (client: LambdaClient, payload: string | Buffer, functionName = 'lkp-signer'): Promise<RawAnswer> => {
  const out = await client.send(new InvokeCommand({ FunctionName: functionName, Payload: typeof payload === 'string' ? Buffer.from(payload) : payload }));
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '{}';
  return { ...(out.FunctionError ? { functionError: out.FunctionError } : {}), body: JSON.parse(text) as Record<string, unknown> };
};

export const invokeJson = (client: LambdaClient, request: unknown): Promise<RawAnswer> => invokeRaw(client, JSON.stringify(request));
