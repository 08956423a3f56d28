import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';

import { Construct } from 'constructs';
import type { Observed } from './observability';

/** The retry policy of every asynchronous target: EventBridge retries, then the DLQ. */
export const TARGET_RETRY = { retryAttempts: 8, maxEventAge: Duration.hours(6) } as const;


/**
 * A dead-letter queue: SSE-SQS, TLS only, 14 days' retention. Named, so the Plumbing dashboard and
 * alarms can watch it without a cross-stack reference (which would make the stacks a cycle).
 */
export class DeadLetterQueue extends Construct {
  readonly queue: sqs.Queue;
  constructor(scope: Construct, id: string, props: { readonly name: string; readonly observed?: Observed }) {
    super(scope, id);
    props.observed?.addDlq(props.name, dlqName(props.name));
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: dlqName(props.name),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is itself a dead-letter queue; the Plumbing stack alarms on its depth.' });
  }
}

export function dlqName(name: string): string {
  return `starling-${name}-dlq`;
}

/**
 * A rule target given by ARN (log group, Firehose), with the same retry policy and DLQ as the
 * built-in targets. The built-in log-group target installs a Node.js custom resource for the log
 * group's resource policy; the Plumbing stack writes that policy natively instead.
 */
export class ArnTarget implements events.IRuleTarget {
  constructor(
    private readonly arn: string,
    private readonly props: targets.TargetBaseProps & { readonly role?: iam.IRole },
  ) {}

  bind(rule: events.IRuleRef, _id?: string): events.RuleTargetConfig {
    if (this.props.deadLetterQueue) targets.addToDeadLetterQueueResourcePolicy(rule, this.props.deadLetterQueue);
    return {
      ...targets.bindBaseTargetConfig(this.props),
      arn: this.arn,
      role: this.props.role,
    };
  }
}
