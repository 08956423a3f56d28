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
    // X's rate-limit windows are 15 minutes: a SEND_TWEET X refuses with a later reset is put back
    // on the bus at the reset by a one-time Scheduler schedule, run as this role.
    const deferRole = new iam.Role(this, 'DeferRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'EventBridge Scheduler: put a rate-limited SEND_TWEET back on the bus at X\'s reset',
    });
    grantPutEventsAs(bus, deferRole, EVENT_SOURCES.responding);
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
        eventBusArn: bus.eventBusArn,
        deferRoleArn: deferRole.roleArn,
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
      // One-time schedules named starling-egress-<key>-<reset>, in the default group only.
      this.egress.role.addToPolicy(new iam.PolicyStatement({
        actions: ['scheduler:CreateSchedule'],
        resources: [`arn:${this.partition}:scheduler:${this.region}:${this.account}:schedule/default/starling-egress-*`],
      }));
      this.egress.role.addToPolicy(new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [deferRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }));
      expectWildcards(this.egress.role, {
        finding: /^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:scheduler:.*:schedule\/default\/starling-egress-\*\]$/,
        reason: 'Each deferred SEND_TWEET gets its own one-time schedule, named at run time from its key and X\'s reset; the prefix keeps egress to its own schedules.',
      });
      ruleFor(this, 'EgressRule', bus, route(routes, 'egress')).addTarget(
        new targets.LambdaFunction(fn, { deadLetterQueue: dlq.queue, ...TARGET_RETRY }),
      );
    }
  }
}
