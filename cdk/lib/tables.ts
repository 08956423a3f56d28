import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

/** The TTL attribute of every Starling table: epoch seconds after which DynamoDB may delete the item. */
export const TTL_ATTRIBUTE = 'ExpiresAt';

export interface KeyTableProps {
  readonly tableName: string;
  /** The string partition key. */
  readonly partitionKey: string;
  /** DESTROY for state that may be rebuilt; RETAIN for what must survive a teardown (opt-outs). */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A Starling state table: one string key, on-demand, TTL on `ExpiresAt`, AWS-managed encryption
 * and point-in-time recovery — the shape of the idempotency, reply-policy and redelivery tables.
 */
export function keyTable(scope: Construct, id: string, props: KeyTableProps): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    tableName: props.tableName,
    partitionKey: { name: props.partitionKey, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: TTL_ATTRIBUTE,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy: props.removalPolicy,
  });
}
