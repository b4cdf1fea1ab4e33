// CA private keys in AWS Secrets Manager or SSM Parameter Store (SecureString), fetched
// once per container. Errors name the secret, never its content.
import { LkpError } from '../../errors.js';
import { fetchSecretString } from '../../aws/secret-value.js';
import { fetchSsmParameter } from '../../aws/ssm-parameter.js';
import type { RemoteKeyFetcher } from './load.js';

/** The RemoteKeyFetcher the Lambda uses. */
export const remoteCaKeys: RemoteKeyFetcher = async (store) => {
  const region = store.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const names = store.store === 'secretsmanager' ? store.secretIds : store.names;
  const texts = await Promise.all(
    names.map(async (name) => {
      try {
        return store.store === 'secretsmanager' ? await fetchSecretString(name, region) : await fetchSsmParameter(name, region);
      } catch (error) {
        throw new LkpError('CaKeyUnavailable', `cannot load CA key from ${store.store} ${name}: ${(error as Error).message}`, { cause: error });
      }
    }),
  );
  return { texts, names: names.map((n) => `${store.store}:${n}`) };
};
