// KMS through the official SDK client (retries with jitter, clock-skew correction,
// AWS_ENDPOINT_URL_KMS / FIPS / dual-stack endpoints, refreshing credentials). Loaded
// only when a CA store names KMS.
import { LkpError } from '../errors.js';
import type { KmsApi } from '../signer/ca-store/kms.js';

const describe = (error: unknown): string => {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  return `${e.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${(e.message ?? String(error)).slice(0, 300)}`;
};

const THROTTLING = new Set(['ThrottlingException', 'LimitExceededException', 'KMSInternalException']);

/** A KmsApi for one region (the SDK's default region and credential chain otherwise). */
export const sdkKmsApi = async (region?: string): Promise<KmsApi> => {
  const { KMSClient, GetPublicKeyCommand, SignCommand } = await import('@aws-sdk/client-kms');
  const client = new KMSClient({ ...(region ? { region } : {}), maxAttempts: 4 });
  const fail = (operation: string, keyId: string, error: unknown): never => {
    const name = (error as { name?: string }).name ?? '';
    // Throttling after the SDK's own retries is the signer's retryable answer.
    throw new LkpError(THROTTLING.has(name) ? 'Throttled' : 'CaKeyUnavailable', `kms:${operation} on ${keyId} failed: ${describe(error)}`, { cause: error });
  };
  return {
    getPublicKey: async (keyId) => {
      try {
        const out = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
        // moto answers the deprecated CustomerMasterKeySpec only; AWS sends both.
        const keySpec = out.KeySpec ?? out.CustomerMasterKeySpec;
        if (!out.PublicKey || !out.KeyId || !keySpec) throw new Error('answer lacks PublicKey, KeyId or KeySpec');
        return { keyArn: out.KeyId, keySpec, keyUsage: out.KeyUsage ?? 'SIGN_VERIFY', publicKeyDer: Buffer.from(out.PublicKey) };
      } catch (error) {
        return fail('GetPublicKey', keyId, error);
      }
    },
    sign: async ({ keyArn, message, messageType, algorithm }) => {
      try {
        const out = await client.send(new SignCommand({ KeyId: keyArn, Message: message, MessageType: messageType, SigningAlgorithm: algorithm }));
        if (!out.Signature) throw new Error('answer lacks Signature');
        return Buffer.from(out.Signature);
      } catch (error) {
        return fail('Sign', keyArn, error);
      }
    },
  };
};
