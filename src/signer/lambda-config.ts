// What a config needs to run as the Lambda (beyond being valid): checked when a container
// starts and by `npm run build:lambda -- --config`, so the mistake shows before deploying.
import type { SignerConfig } from './config.js';

/** Why this config cannot run in Lambda, or undefined when it can. */
export const lambdaConfigProblem = (config: SignerConfig): string | undefined => {
  // A single-use token needs one ledger for every container: a file or memory ledger
  // would let each container accept the same token once.
  if (config.joinTokens && config.joinTokens.ledger.store !== 'dynamodb') {
    return `joinTokens in Lambda need a ledger all containers share: set joinTokens.ledger to { "store": "dynamodb", "table": "..." } (a ${config.joinTokens.ledger.store} ledger would let a token be used once per container), or remove joinTokens and use the aws identity method`;
  }
  // Administrators write revocations with their own credentials; a file in the bundle
  // could never receive one.
  if (config.revocations && config.revocations.store !== 'dynamodb') {
    return `revocations in Lambda need a table administrators can write: set revocations to { "store": "dynamodb", "table": "..." } (a ${config.revocations.store} store in the bundle can never receive a revocation)`;
  }
  return undefined;
};
