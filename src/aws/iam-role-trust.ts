// iam:GetRole through @aws-sdk/client-iam: the role's trust policy document, decoded.
// IAM is global; the SDK picks the partition's endpoint from the region given.
import { LkpError } from '../errors.js';
import { clientCache, clientConfig, sdkErrorName, sdkFailure, withProgress, type ClientOptions, type Credentials } from './sdk-options.js';

type IamModule = typeof import('./sdk/iam.js');
let loading: Promise<IamModule> | undefined;
const iamModule = (): Promise<IamModule> => (loading ??= import('./sdk/iam.js'));
let loaded: IamModule | undefined;

/** Starts loading client-iam without waiting: it compiles while the caller waits on the network. */
export const preloadIamClient = (): void => {
  iamModule().catch(() => undefined); // fetchRoleTrustPolicy reports a failed import
};
const LABEL = { operation: 'IAM GetRole', endpointEnvId: 'IAM' };
const clients = clientCache((o: ClientOptions) => withProgress(new (loaded as IamModule).IAMClient(clientConfig(o)), LABEL));

/** The region IAM requests are signed for in each partition. */
const IAM_REGION: Readonly<Record<string, string>> = { aws: 'us-east-1', 'aws-cn': 'cn-north-1', 'aws-us-gov': 'us-gov-west-1' };

/** The trust policy of `roleName`, or undefined when the role does not exist. */
export const fetchRoleTrustPolicy = async (roleName: string, credentials?: Credentials, partition = 'aws'): Promise<unknown> => {
  loaded ??= await iamModule();
  const region = Object.hasOwn(IAM_REGION, partition) ? (IAM_REGION[partition] as string) : 'us-east-1';
  let encoded: string | undefined;
  try {
    const out = await clients({ region, ...(credentials ? { credentials } : {}) }).send(new loaded.GetRoleCommand({ RoleName: roleName }));
    encoded = out.Role?.AssumeRolePolicyDocument;
  } catch (error) {
    if (sdkErrorName(error) === 'NoSuchEntity' || sdkErrorName(error) === 'NoSuchEntityException') return undefined;
    throw sdkFailure(LABEL, error, roleName);
  }
  if (!encoded) throw new LkpError('AwsError', `iam:GetRole ${roleName} answered no trust policy`);
  try {
    // IAM returns the document URL-encoded.
    return JSON.parse(decodeURIComponent(encoded)) as unknown;
  } catch {
    throw new LkpError('AwsError', `the trust policy of ${roleName} is not JSON`);
  }
};
