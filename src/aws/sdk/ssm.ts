// The names lkp uses from @aws-sdk/client-ssm (see ec2.ts for why a module of its own).
export { SSMClient, GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
