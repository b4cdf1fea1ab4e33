// Loopback SSM GetParameter (JSON 1.1) for the CA key store: versioned parameters the test
// controls; a SecureString read without WithDecryption returns ciphertext, as SSM does.
import { createHash } from 'node:crypto';
import { TEST_ACCOUNT, type CredentialRegistry, type TestIdentity } from './credentials.js';
import type { RecordedRequest } from './http.js';
import { JsonServiceError, requireString, startJsonService, type JsonCall } from './json-service.js';

// SSM's parameter types; SecureString is the one that needs WithDecryption.
export type ParameterType = 'String' | 'StringList' | 'SecureString';

// One stored version of a parameter.
export interface ParameterVersion {
  version: number;
  type: ParameterType;
  value: string;
  lastModifiedDate: Date;
}

// Initial parameters, placement and IAM decision of the SSM fake.
export interface StartFakeSsmOptions {
  registry: CredentialRegistry;
  /** name -> initial value; a bare string is a SecureString. */
  parameters?: Record<string, string | { type: ParameterType; value: string }>;
  region?: string;
  account?: string;
  /** Return false to answer AccessDeniedException. Default: allow. */
  authorize?: (identity: TestIdentity, parameterArn: string) => boolean;
  now?: () => Date;
}

// A running SSM fake and its levers.
export interface FakeSsm {
  url: string;
  close(): Promise<void>;
  requests: RecordedRequest[];
  calls: JsonCall[];
  parameters: Map<string, ParameterVersion[]>;
  /** Creates the parameter or adds the next version. */
  putParameter(name: string, value: string, type?: ParameterType): ParameterVersion;
  deleteParameter(name: string): boolean;
  parameterArn(name: string): string;
  failNext(n: number, code?: string, status?: number): void;
}

// What SSM returns for a SecureString read without decryption: KMS ciphertext, never the value.
export const fakeCiphertext = (value: string): string =>
  Buffer.concat([Buffer.from([1, 2, 2, 0, 120]), createHash('sha256').update(value).digest()]).toString('base64');

// Starts the SSM fake; point AWS_ENDPOINT_URL_SSM at `url`.
export const startFakeSsm = async (options: StartFakeSsmOptions): Promise<FakeSsm> => {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? TEST_ACCOUNT;
  const parameters = new Map<string, ParameterVersion[]>();
  const now = options.now ?? (() => new Date());
  const arnOf = (name: string): string => `arn:aws:ssm:${region}:${account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;

  const putParameter = (name: string, value: string, type: ParameterType = 'SecureString'): ParameterVersion => {
    const history = parameters.get(name) ?? [];
    const v: ParameterVersion = { version: history.length + 1, type, value, lastModifiedDate: now() };
    parameters.set(name, [...history, v]);
    return v;
  };
  for (const [name, p] of Object.entries(options.parameters ?? {})) {
    if (typeof p === 'string') putParameter(name, p);
    else putParameter(name, p.value, p.type);
  }

  // Name may be a name, an ARN, and may end in a `:VERSION` selector.
  const resolve = (raw: string): { name: string; selector?: string } => {
    let rest = raw;
    const prefix = `arn:aws:ssm:${region}:${account}:parameter`;
    if (rest.startsWith(prefix)) {
      rest = rest.slice(prefix.length);
      if (!parameters.has(rest) && rest.startsWith('/')) rest = rest.slice(1);
    }
    const m = /^(.*):(\d+)$/.exec(rest);
    return m ? { name: m[1] as string, selector: `:${m[2] as string}` } : { name: rest };
  };

  const service = await startJsonService({
    registry: options.registry,
    signingName: 'ssm',
    targetPrefix: 'AmazonSSM',
    messageField: 'message',
    now,
    operations: {
      GetParameter: (input, ctx) => {
        const { name, selector } = resolve(requireString(input, 'Name'));
        if (options.authorize && !options.authorize(ctx.identity, arnOf(name))) {
          throw new JsonServiceError(
            'AccessDeniedException',
            `User: ${ctx.identity.arn} is not authorized to perform: ssm:GetParameter on resource: ${arnOf(name)} because no identity-based policy allows the ssm:GetParameter action`,
          );
        }
        const history = ctx.region === region ? parameters.get(name) : undefined;
        if (history === undefined || history.length === 0) throw new JsonServiceError('ParameterNotFound', '');
        const p = selector === undefined ? history.at(-1) : history.find((v) => `:${v.version}` === selector);
        if (p === undefined) {
          throw new JsonServiceError('ParameterVersionNotFound', `Systems Manager could not find version ${selector?.slice(1) ?? ''} of ${name}. Verify the version and try again.`);
        }
        const decrypt = input.WithDecryption === true;
        return {
          Parameter: {
            Name: name,
            Type: p.type,
            Value: p.type === 'SecureString' && !decrypt ? fakeCiphertext(p.value) : p.value,
            Version: p.version,
            ...(selector !== undefined ? { Selector: selector } : {}),
            LastModifiedDate: p.lastModifiedDate.getTime() / 1000,
            ARN: arnOf(name),
            DataType: 'text',
          },
        };
      },
    },
  });

  return {
    ...service,
    parameters,
    putParameter,
    deleteParameter: (name) => parameters.delete(name),
    parameterArn: arnOf,
  };
};
