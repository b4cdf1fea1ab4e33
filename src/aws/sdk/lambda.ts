// The names lkp uses from @aws-sdk/client-lambda (see ec2.ts for why a module of its own).
export { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';
