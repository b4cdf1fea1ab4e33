// The names lkp uses from @aws-sdk/client-iam (see ec2.ts for why a module of its own).
export { IAMClient, GetRoleCommand } from '@aws-sdk/client-iam';
