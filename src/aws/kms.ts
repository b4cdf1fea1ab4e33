// KMS through the official SDK client (retries with jitter, clock-skew correction,
// AWS_ENDPOINT_URL_KMS / FIPS / dual-stack endpoints, refreshing credentials). Loaded
// only when a CA store names KMS.
import { LkpError } from '../errors.js';
import type { KmsApi } from '../signer/ca-store/kms.js';
import { clientConfig, sdkErrorName, sdkFailure, withProgress } from './sdk-options.js';

/** A KMS failure: Throttled stays retryable; anything else makes the CA key unavailable. */
const kmsFailure = (operation: string, keyId: string, error: unknown): LkpError => {
  const failure = sdkFailure({ operation: `KMS ${operation}`, endpointEnvId: 'KMS' }, error, `on ${keyId}`);
  return failure.code === 'Throttled' ? failure : new LkpError('CaKeyUnavailable', failure.message, { cause: error });
};

/** A KmsApi for one region (the SDK's default region and credential chain otherwise). */
export const sdkKmsApi = async (region?: string): Promise<KmsApi> => {
  const { KMSClient, GetPublicKeyCommand, SignCommand } = await import('./sdk/kms.js');
  const client = withProgress(new KMSClient({ ...clientConfig({ region: region ?? process.env.AWS_REGION ?? 'us-east-1', maxAttempts: 4 }) }), { operation: 'KMS', endpointEnvId: 'KMS' });
  return {
    getPublicKey: async (keyId) => {
      try {
        const out = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
        // moto answers the deprecated CustomerMasterKeySpec only; AWS sends both.
        const keySpec = out.KeySpec ?? out.CustomerMasterKeySpec;
        if (!out.PublicKey || !out.KeyId || !keySpec) throw new Error('answer lacks PublicKey, KeyId or KeySpec');
        return { keyArn: out.KeyId, keySpec, keyUsage: out.KeyUsage ?? 'SIGN_VERIFY', publicKeyDer: Buffer.from(out.PublicKey) };
      } catch (error) {
        throw kmsFailure('GetPublicKey', keyId, error);
      }
    },
    sign: async ({ keyArn, message, messageType, algorithm }) => {
      try {
        const out = await client.send(new SignCommand({ KeyId: keyArn, Message: message, MessageType: messageType, SigningAlgorithm: algorithm }));
        if (!out.Signature) throw new Error('answer lacks Signature');
        return Buffer.from(out.Signature);
      } catch (error) {
        throw kmsFailure('Sign', keyArn, error);
      }
    },
  };
};

/** kms:GenerateMac / kms:VerifyMac with one HMAC_256 key (the join-token key). */
export interface KmsMacApi {
  generateMac(message: Buffer): Promise<Buffer>;
  /** False when the MAC does not verify (KMS answers KMSInvalidMacException). */
  verifyMac(message: Buffer, mac: Buffer): Promise<boolean>;
}

const MAC_ALGORITHM = 'HMAC_SHA_256';

/** The MAC operations of one KMS HMAC_256 key; throttling stays Throttled, anything else is AwsError. */
export const sdkKmsMac = async (keyId: string, region?: string): Promise<KmsMacApi> => {
  const { KMSClient, GenerateMacCommand, VerifyMacCommand } = await import('./sdk/kms.js');
  const label = { operation: 'KMS', endpointEnvId: 'KMS' };
  const client = withProgress(new KMSClient({ ...clientConfig({ region: region ?? process.env.AWS_REGION ?? 'us-east-1', maxAttempts: 4 }) }), label);
  return {
    generateMac: async (message) => {
      try {
        const out = await client.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: MAC_ALGORITHM }));
        if (!out.Mac) throw new Error('answer lacks Mac');
        return Buffer.from(out.Mac);
      } catch (error) {
        throw sdkFailure({ operation: 'KMS GenerateMac', endpointEnvId: 'KMS' }, error, `on ${keyId}`);
      }
    },
    verifyMac: async (message, mac) => {
      try {
        const out = await client.send(new VerifyMacCommand({ KeyId: keyId, Message: message, Mac: mac, MacAlgorithm: MAC_ALGORITHM }));
        return out.MacValid === true;
      } catch (error) {
        if (sdkErrorName(error) === 'KMSInvalidMacException') return false;
        throw sdkFailure({ operation: 'KMS VerifyMac', endpointEnvId: 'KMS' }, error, `on ${keyId}`);
      }
    },
  };
};
