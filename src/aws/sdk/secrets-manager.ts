// The names lkp uses from @aws-sdk/client-secrets-manager (see ec2.ts for why a module of its own).
export { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
