// The names lkp uses from @aws-sdk/client-dynamodb (see ec2.ts for why a module of its own).
export { DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
