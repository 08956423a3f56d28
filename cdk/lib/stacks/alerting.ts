import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { StarlingConfig } from '../config';
import { functionSpec, maybeFunction, type StarlingFunction } from '../functions';
import { ALERT_TOPIC_NAME } from '../names';
import type { Observed } from '../observability';
import { type RouteTable, route, ruleFor } from '../routes';
import { DeadLetterQueue, TARGET_RETRY } from '../targets';

export interface AlertingStackProps extends StackProps {
  readonly config: StarlingConfig;
  readonly routes: RouteTable;
  readonly bus: events.IEventBus;
  readonly observed: Observed;
}

/** The alert topic ops subscribe to, and the alert Lambda on negative messages and moderation flags. */
export class AlertingStack extends Stack {
  readonly topic: sns.Topic;
  readonly alert?: StarlingFunction;

  constructor(scope: Construct, id: string, props: AlertingStackProps) {
    super(scope, id, props);
    const { config, routes, bus, observed } = props;

    // A customer-managed key: CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key.
    const key = new kms.Key(this, 'TopicKey', {
      alias: 'alias/starling-alerts',
      description: 'Encrypts the Starling alert topic',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: ALERT_TOPIC_NAME,
      displayName: 'Starling alerts',
      enforceSSL: true,
      masterKey: key,
    });
    for (const email of config.alertEmails) this.topic.addSubscription(new subs.EmailSubscription(email));

    const dlq = new DeadLetterQueue(this, 'AlertDlq', { name: 'alert', observed });
    this.alert = maybeFunction(this, 'Alert', {
      config,
      spec: functionSpec('alert'),
      wiring: { alertTopicArn: this.topic.topicArn },
      observed,
      deadLetterQueue: dlq.queue,
      asyncRetryAttempts: 2,
      maxEventAge: Duration.hours(1),
    });
    if (this.alert !== undefined) {
      this.alert.role.addToPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }));
      this.alert.role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }));
      ruleFor(this, 'AlertNegativeRule', bus, route(routes, 'alert-negative')).addTarget(
        new targets.LambdaFunction(this.alert.fn, { deadLetterQueue: dlq.queue, ...TARGET_RETRY }),
      );
      // Content the moderation gate flagged (MODERATION_FLAGGED with Alert: moderation.alertOnFlag).
      ruleFor(this, 'AlertModerationRule', bus, route(routes, 'alert-moderation')).addTarget(
        new targets.LambdaFunction(this.alert.fn, { deadLetterQueue: dlq.queue, ...TARGET_RETRY }),
      );
    }
  }
}
