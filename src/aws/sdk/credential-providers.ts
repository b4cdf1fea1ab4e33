// The providers lkp uses from @aws-sdk/credential-providers (see ec2.ts for why a module of its own).
export { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
