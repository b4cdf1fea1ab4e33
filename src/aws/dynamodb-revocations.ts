// Revocations in DynamoDB, for the Lambda signer: one item per revoked thing, keyed by what
// it revokes (`serial/user/123`, `key-id/host/…`, `key/SHA256:…`). An administrator adds one
// with a conditional PutItem under their own IAM credentials, so re-revoking the same thing
// keeps the first record; the signer reads them all with a paginated, consistent Scan.
// Table: partition key `id` (String). Writers need dynamodb:PutItem; readers dynamodb:Scan.
import { LkpError } from '../errors.js';
import type { RevocationStore } from '../signer/revocation-store.js';
import { parseRevocation, revocationKey, revocationToJson, type Revocation } from '../signer/revocation.js';
import { clientConfig, sdkErrorName, sdkFailure, withProgress } from './sdk-options.js';

type Item = Record<string, { S?: string } | undefined>;

/** The revocation an item holds (strictly parsed: a hand-edited item is an error, not a gap). */
const fromItem = (item: Item, table: string): Revocation => {
  const doc: Record<string, string> = {};
  for (const [k, v] of Object.entries(item)) {
    if (k === 'id') continue;
    if (typeof v?.S !== 'string') throw new LkpError('ConfigInvalid', `revocations table ${table}: attribute ${k.slice(0, 40)} of item ${String(item.id?.S).slice(0, 80)} is not a string`);
    doc[k] = v.S;
  }
  const r = parseRevocation(doc, `DynamoDB ${table} item ${String(item.id?.S).slice(0, 80)}`);
  if (item.id?.S !== revocationKey(r)) throw new LkpError('ConfigInvalid', `revocations table ${table}: item ${String(item.id?.S).slice(0, 80)} has an id that does not match what it revokes`);
  return r;
};

export const dynamoDbRevocationStore = async (opts: { table: string; region?: string }): Promise<RevocationStore> => {
  const { DynamoDBClient, PutItemCommand, ScanCommand } = await import('./sdk/dynamodb.js');
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const scanLabel = { operation: 'DynamoDB Scan', endpointEnvId: 'DYNAMODB' };
  const putLabel = { operation: 'DynamoDB PutItem', endpointEnvId: 'DYNAMODB' };
  const client = withProgress(new DynamoDBClient(clientConfig({ region })), scanLabel);
  return {
    where: `DynamoDB table ${opts.table}`,
    list: async () => {
      const out: Revocation[] = [];
      let start: Record<string, never> | undefined;
      do {
        let page;
        try {
          page = await client.send(new ScanCommand({ TableName: opts.table, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
        } catch (error) {
          throw sdkFailure(scanLabel, error, `on table ${opts.table}`);
        }
        for (const item of page.Items ?? []) out.push(fromItem(item as Item, opts.table));
        start = page.LastEvaluatedKey as Record<string, never> | undefined;
      } while (start && Object.keys(start).length > 0);
      return out.sort((a, b) => a.revokedAt.localeCompare(b.revokedAt));
    },
    add: async (r) => {
      const Item: Record<string, { S: string }> = { id: { S: revocationKey(r) } };
      for (const [k, v] of Object.entries(revocationToJson(r))) Item[k] = { S: v };
      try {
        await client.send(new PutItemCommand({ TableName: opts.table, Item, ConditionExpression: 'attribute_not_exists(id)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
        return { added: true, revocation: r };
      } catch (error) {
        if (sdkErrorName(error) === 'ConditionalCheckFailedException') {
          const old = (error as { Item?: Item }).Item;
          const existing = old ? fromItem(old, opts.table) : r;
          // An SDK retry of our own put finds our own item: still ours.
          const ours = JSON.stringify(revocationToJson(existing)) === JSON.stringify(revocationToJson(r));
          return { added: ours, revocation: existing };
        }
        throw sdkFailure(putLabel, error, `on table ${opts.table}`);
      }
    },
  };
};
