// The join-token ledger every signer shares: one DynamoDB item per spent token, written
// with a conditional PutItem (attribute_not_exists on the key), which DynamoDB grants to
// exactly one writer however many signer processes or Lambda containers race. A TTL
// attribute lets DynamoDB delete entries once their tokens have expired. The item records
// the request digest the token was spent for: the same request again (a client retry) is
// redeemed again, any other is refused.
// Table: partition key `tokenId` (String); TTL enabled on `ttl`. The signer needs only
// dynamodb:PutItem on it.
import { randomUUID } from 'node:crypto';
import type { Redemption, TokenLedger } from '../signer/identity/token-ledger.js';
import { clientConfig, sdkErrorName, sdkFailure, withProgress } from './sdk-options.js';

/** Seconds an entry outlives its token: TTL deletion and clocks are not exact, and a deleted entry must only ever belong to an expired token. */
const TTL_MARGIN = 3600;

export const dynamoDbTokenLedger = async (opts: { table: string; region?: string }): Promise<TokenLedger> => {
  const { DynamoDBClient, PutItemCommand } = await import('./sdk/dynamodb.js');
  const label = { operation: 'DynamoDB PutItem', endpointEnvId: 'DYNAMODB' };
  const client = withProgress(new DynamoDBClient(clientConfig({ region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1' })), label);
  return {
    redeem: async (id, expiresAt, digest): Promise<Redemption> => {
      // Marks this redemption: when an answer is lost and the SDK retries the put, the
      // retry finds our own item and must not call the token already used.
      const redemption = randomUUID();
      try {
        await client.send(
          new PutItemCommand({
            TableName: opts.table,
            Item: {
              tokenId: { S: id },
              expiresAt: { N: String(expiresAt) },
              ttl: { N: String(expiresAt + TTL_MARGIN) },
              redeemedAt: { N: String(Math.floor(Date.now() / 1000)) },
              redemption: { S: redemption },
              digest: { S: digest },
            },
            ConditionExpression: 'attribute_not_exists(tokenId)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return 'first';
      } catch (error) {
        if (sdkErrorName(error) === 'ConditionalCheckFailedException') {
          const old = (error as { Item?: Record<string, { S?: string } | undefined> }).Item;
          if (old?.redemption?.S === redemption) return 'first';
          // An item without a digest (written before digests) stays spent for good.
          return old?.digest?.S !== undefined && old.digest.S === digest ? 'again' : 'refused';
        }
        // Denies: AwsError answers Internal (the audit line has the detail), Throttled stays retryable.
        throw sdkFailure(label, error, `on table ${opts.table}`);
      }
    },
  };
};
