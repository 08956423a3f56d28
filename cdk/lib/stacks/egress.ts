import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { MediaBucketRef } from './analysis';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { StarlingConfig } from '../config';
import { functionSpec, maybeFunction, type StarlingFunction } from '../functions';
import type { Observed } from '../observability';
import { type RouteTable, route, ruleFor } from '../routes';
import { DeadLetterQueue, TARGET_RETRY } from '../targets';
import { keyTable } from '../tables';
import { OBJECT_KEYS, expectWildcards } from '../nag';
import * as iam from 'aws-cdk-lib/aws-iam';
import { EVENT_SOURCES, grantPutEventsAs } from '../iam';

export interface EgressStackProps extends StackProps {
  readonly config: StarlingConfig;
  readonly routes: RouteTable;
  readonly bus: events.IEventBus;
  readonly mediaBucket: MediaBucketRef;
  readonly observed: Observed;
}


/** SEND_TWEET → the egress Lambda → X; at most once per IdempotencyKey. */
export class EgressStack extends Stack {
  readonly table: dynamodb.Table;
  readonly egress?: StarlingFunction;

  constructor(scope: Construct, id: string, props: EgressStackProps) {
    super(scope, id, props);
    const { config, routes, bus, mediaBucket, observed } = props;

    this.table = keyTable(this, 'Idempotency', {
      tableName: 'starling-idempotency',
      partitionKey: 'IdempotencyKey',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const secret = secretsmanager.Secret.fromSecretNameV2(this, 'TwitterSecret', config.twitterSecretName);
    const dlq = new DeadLetterQueue(this, 'EgressDlq', { name: 'egress', observed });
    this.egress = maybeFunction(this, 'Egress', {
      config,
      spec: functionSpec('egress'),
      wiring: {
        secretArn: secret.secretArn,
        eventBusName: bus.eventBusName,
        mediaBucketName: mediaBucket.name,
        idempotencyTableName: this.table.tableName,
        dryRun: String(config.dryRun),
        botUserId: config.twitterAccountId,
      },
      observed,
      deadLetterQueue: dlq.queue,
      // A reply must not be posted twice: one retry at most, and not after an hour.
      asyncRetryAttempts: 1,
      maxEventAge: Duration.hours(1),
    });
    if (this.egress !== undefined) {
      const fn = this.egress.fn;
      secret.grantRead(fn);
      grantPutEventsAs(bus, fn, EVENT_SOURCES.egress);
      this.egress.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`${mediaBucket.arn}/*`] }));
      expectWildcards(this.egress.role, OBJECT_KEYS);
      this.table.grantReadWriteData(fn);
      ruleFor(this, 'EgressRule', bus, route(routes, 'egress')).addTarget(
        new targets.LambdaFunction(fn, { deadLetterQueue: dlq.queue, ...TARGET_RETRY }),
      );
    }
  }
}
