// SigV4 signing through the SDK's own signer (@smithy/signature-v4), never hand-rolled.
// Used for the identity proof (the SDK clients sign their own calls).
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Checksum, SourceData } from '@smithy/types';

/** SHA-256 / HMAC-SHA-256 over node:crypto, in the shape the SDK signer expects. */
export class Sha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }

  update(data: Uint8Array | string): void {
    this.hash.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }

  reset(): void {
    this.hash = this.fresh();
  }
}

const toBuffer = (data: SourceData): Buffer =>
  typeof data === 'string' ? Buffer.from(data, 'utf8') : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

export interface SignableRequest {
  readonly method: string;
  readonly protocol: 'https:' | 'http:';
  readonly hostname: string;
  readonly port?: number;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Signs a request for `service` in `region`; returns the headers to send. */
export const signRequest = async (
  request: SignableRequest,
  opts: { service: string; region: string; credentials: AwsCredentialIdentity; signingDate?: Date },
): Promise<Record<string, string>> => {
  const signer = new SignatureV4({ service: opts.service, region: opts.region, credentials: opts.credentials, sha256: Sha256 });
  const signed = await signer.sign(
    { ...request, query: {}, headers: { ...request.headers } },
    opts.signingDate ? { signingDate: opts.signingDate } : undefined,
  );
  return signed.headers as Record<string, string>;
};
