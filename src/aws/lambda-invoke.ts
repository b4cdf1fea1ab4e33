// lambda:Invoke through @aws-sdk/client-lambda (RequestResponse): the signer calls its
// authoriser with it. A function error is an error here, as is a payload that is not JSON.
import { LkpError } from '../errors.js';
import { clientCache, clientConfig, sdkFailure, withProgress, type ClientOptions, type Credentials } from './sdk-options.js';

const lambdaModule = () => import('./sdk/lambda.js');
type LambdaModule = Awaited<ReturnType<typeof lambdaModule>>;
let loaded: LambdaModule | undefined;
const LABEL = { operation: 'Lambda Invoke', endpointEnvId: 'LAMBDA' };
const clients = clientCache((o: ClientOptions) => withProgress(new (loaded as LambdaModule).LambdaClient(clientConfig(o)), LABEL));

export interface InvokeJsonOptions {
  readonly functionName: string;
  readonly region: string;
  readonly payload: unknown;
  readonly credentials?: Credentials;
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
}

/** Invokes a function synchronously and returns its decoded JSON answer. */
export const invokeJson = async (opts: InvokeJsonOptions): Promise<unknown> => {
  loaded ??= await lambdaModule();
  const client = clients({ region: opts.region, ...(opts.credentials ? { credentials: opts.credentials } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), maxAttempts: opts.maxAttempts ?? 1 });
  let out;
  try {
    out = await client.send(new loaded.InvokeCommand({ FunctionName: opts.functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(opts.payload)) }));
  } catch (error) {
    throw sdkFailure(LABEL, error, opts.functionName);
  }
  if (out.FunctionError) throw new LkpError('AwsError', `function ${opts.functionName} failed (${out.FunctionError})`);
  try {
    return JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8')) as unknown;
  } catch {
    throw new LkpError('AwsError', `function ${opts.functionName} answered something that is not JSON`);
  }
};
