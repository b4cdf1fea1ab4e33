// The names lkp uses from @aws-sdk/client-kms (see ec2.ts for why a module of its own).
export { KMSClient, GetPublicKeyCommand, SignCommand, GenerateMacCommand, VerifyMacCommand } from '@aws-sdk/client-kms';
