// Credentials for describing instances in another account: sts:AssumeRole through the
// SDK's own provider, which caches and refreshes them before they expire.
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { sdkFailure, type Credentials } from './sdk-options.js';

/** A refreshing credential provider for `roleArn`, assumed with `base` (default chain when omitted). */
export const assumeRoleProvider = async (roleArn: string, region: string, base?: Credentials): Promise<AwsCredentialIdentityProvider> => {
  const { fromTemporaryCredentials } = await import('./sdk/credential-providers.js');
  const provider = fromTemporaryCredentials({
    params: { RoleArn: roleArn, RoleSessionName: 'lkp-signer', DurationSeconds: 900 },
    clientConfig: { region },
    ...(base ? { masterCredentials: base } : {}),
  });
  return async (options) => {
    try {
      return await provider(options);
    } catch (error) {
      throw sdkFailure({ operation: 'STS AssumeRole', endpointEnvId: 'STS' }, error, roleArn);
    }
  };
};
