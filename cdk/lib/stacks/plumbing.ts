import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { StarlingConfig } from '../config';
import { ALERT_TOPIC_NAME, EVENTS_LOG_GROUP_PREFIX, EVENTS_NAMESPACE, STATE_MACHINE_NAME } from '../names';

/** Comprehend's sentiments, as MESSAGE_ANALYSED's `Analysis.TextSentiment` spells them. */
const SENTIMENTS = ['POSITIVE', 'NEGATIVE', 'NEUTRAL', 'MIXED'] as const;
import type { Observed } from '../observability';
import { type RouteTable, route, ruleFor } from '../routes';
import { ArnTarget, DeadLetterQueue, TARGET_RETRY, dlqName } from '../targets';

export interface PlumbingStackProps extends StackProps {
  readonly config: StarlingConfig;
  readonly routes: RouteTable;
}

/** The detail-types of the contracts: one JSON Schema each in schemas/. */
export function detailTypes(repoRoot: string): string[] {
  return fs
    .readdirSync(path.join(repoRoot, 'schemas'))
    .filter((f) => f.endsWith('.schema.json') && f !== 'envelope.schema.json')
    .map((f) => f.slice(0, -'.schema.json'.length))
    .sort();
}

/**
 * The `Plumbing` bus, its archive, the catch-all log with a metric per detail-type, and the
 * dashboard and alarms over the whole app.
 */
export class PlumbingStack extends Stack {
  readonly bus: events.EventBus;
  readonly eventsLogGroup: logs.LogGroup;
  readonly detailTypes: string[];
  private readonly eventCounts = new Map<string, cloudwatch.Metric>();
  private readonly sentimentCounts: cloudwatch.Metric[] = [];
  private readonly ownDlq: { label: string; queueName: string };

  constructor(scope: Construct, id: string, props: PlumbingStackProps) {
    super(scope, id, props);
    const { config, routes } = props;

    this.bus = new events.EventBus(this, 'Bus', { eventBusName: routes.bus, description: 'Starling: every event of the bot' });
    this.bus.archive('Archive', {
      archiveName: `${routes.bus}-archive`,
      description: 'Every event on the bus, for replay',
      eventPattern: { account: [this.account] },
      retention: config.archiveRetention,
    });

    const catchAll = route(routes, 'catch-all-log');
    this.eventsLogGroup = new logs.LogGroup(this, 'EventsLog', {
      logGroupName: `${EVENTS_LOG_GROUP_PREFIX}${catchAll.target.name}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // What the built-in CloudWatchLogGroup target does with a Node.js custom resource, natively.
    new logs.ResourcePolicy(this, 'EventsLogPolicy', {
      resourcePolicyName: 'starling-events-to-logs',
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com'), new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.eventsLogGroup.logGroupArn],
        }),
      ],
    });
    const logDlq = new DeadLetterQueue(this, 'CatchAllDlq', { name: catchAll.name });
    ruleFor(this, 'CatchAllRule', this.bus, catchAll).addTarget(
      new ArnTarget(
        this.formatArn({ service: 'logs', resource: 'log-group', resourceName: this.eventsLogGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        { deadLetterQueue: logDlq.queue, ...TARGET_RETRY },
      ),
    );
    this.ownDlq = { label: catchAll.name, queueName: dlqName(catchAll.name) };

    this.detailTypes = detailTypes(config.repoRoot);
    for (const dt of this.detailTypes) {
      const filter = this.eventsLogGroup.addMetricFilter(`Count${dt}`, {
        filterName: `starling-${dt}`,
        filterPattern: logs.FilterPattern.stringValue('$.detail-type', '=', dt),
        metricNamespace: EVENTS_NAMESPACE,
        metricName: dt,
        metricValue: '1',
        defaultValue: 0,
        unit: cloudwatch.Unit.COUNT,
      });
      this.eventCounts.set(dt, filter.metric({ statistic: 'Sum', period: Duration.minutes(5) }));
    }
    // Sentiment over time: analysed messages per Comprehend sentiment.
    if (this.detailTypes.includes('MESSAGE_ANALYSED')) {
      for (const sentiment of SENTIMENTS) {
        const filter = this.eventsLogGroup.addMetricFilter(`Sentiment${sentiment}`, {
          filterName: `starling-sentiment-${sentiment.toLowerCase()}`,
          filterPattern: logs.FilterPattern.all(
            logs.FilterPattern.stringValue('$.detail-type', '=', 'MESSAGE_ANALYSED'),
            logs.FilterPattern.stringValue('$.detail.Analysis.TextSentiment', '=', sentiment),
          ),
          metricNamespace: EVENTS_NAMESPACE,
          metricName: `Sentiment${sentiment}`,
          metricValue: '1',
          defaultValue: 0,
          unit: cloudwatch.Unit.COUNT,
        });
        this.sentimentCounts.push(filter.metric({ statistic: 'Sum', period: Duration.minutes(5), label: sentiment }));
      }
    }
  }

  /** Events of one detail-type per 5 minutes (from its metric filter). */
  eventCount(detailType: string): cloudwatch.Metric {
    const m = this.eventCounts.get(detailType);
    if (m === undefined) throw new Error(`no metric filter for ${detailType}: is schemas/${detailType}.schema.json missing?`);
    return m;
  }

  /**
   * The dashboard and alarms. Called once every other stack is built: the DLQs and functions are
   * named in `observed` as plain deployed names, so this stack never references the others.
   */
  addDashboardAndAlarms(observed: Observed): void {
    const period = Duration.minutes(5);
    const alertTopic = sns.Topic.fromTopicArn(
      this,
      'AlertTopic',
      this.formatArn({ service: 'sns', resource: ALERT_TOPIC_NAME, arnFormat: ArnFormat.NO_RESOURCE_NAME }),
    );
    const alarmAction = new cwActions.SnsAction(alertTopic);
    const dlqs = [this.ownDlq, ...observed.dlqs];
    const dlqDepth = (queueName: string, label?: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensionsMap: { QueueName: queueName },
        statistic: 'Maximum',
        period,
        label,
      });

    for (const q of dlqs) {
      const alarm = new cloudwatch.Alarm(this, `DlqAlarm-${q.label}`, {
        alarmName: `${q.queueName}-not-empty`,
        alarmDescription: `The ${q.label} dead-letter queue holds messages: events that failed every retry.`,
        metric: dlqDepth(q.queueName),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(alarmAction);
    }

    const failures = this.eventCount('MESSAGE_ANALYSIS_FAILED').with({ label: 'MESSAGE_ANALYSIS_FAILED' });
    const failureAlarm = new cloudwatch.Alarm(this, 'AnalysisFailedAlarm', {
      alarmName: 'starling-analysis-failed',
      alarmDescription: 'At least one message could not be analysed (MESSAGE_ANALYSIS_FAILED).',
      metric: this.eventCount('MESSAGE_ANALYSIS_FAILED'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    failureAlarm.addAlarmAction(alarmAction);

    const sfnFailed = new cloudwatch.Metric({
      namespace: 'AWS/States',
      metricName: 'ExecutionsFailed',
      dimensionsMap: {
        StateMachineArn: this.formatArn({ service: 'states', resource: 'stateMachine', resourceName: STATE_MACHINE_NAME, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      },
      statistic: 'Sum',
      period,
      label: 'state machine executions failed',
    });
    const lambdaMetric = (metricName: string, statistic: string) =>
      observed.functions.map(
        (f) => new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName, dimensionsMap: { FunctionName: f.functionName }, statistic, period, label: f.label }),
      );

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: 'Starling', defaultInterval: Duration.days(1) });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Events per detail-type',
        width: 24,
        height: 8,
        left: this.detailTypes.map((dt) => this.eventCount(dt).with({ label: dt })),
        stacked: true,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Analysis failures', width: 8, left: [failures, sfnFailed] }),
      new cloudwatch.GraphWidget({
        title: 'X API outcomes (egress)',
        width: 8,
        left: [this.eventCount('TWEET_SENT').with({ label: 'TWEET_SENT' }), this.eventCount('TWEET_FAILED').with({ label: 'TWEET_FAILED' })],
      }),
      new cloudwatch.GraphWidget({ title: 'DLQ depths', width: 8, left: dlqs.map((q) => dlqDepth(q.queueName, q.label)) }),
    );
    const counted = (dts: string[]) => dts.filter((dt) => this.detailTypes.includes(dt)).map((dt) => this.eventCount(dt).with({ label: dt }));
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Sentiment of analysed messages', width: 8, left: this.sentimentCounts, stacked: true }),
      new cloudwatch.GraphWidget({
        title: 'Alerts to ops',
        width: 8,
        left: [
          new cloudwatch.Metric({
            namespace: 'AWS/SNS',
            metricName: 'NumberOfMessagesPublished',
            dimensionsMap: { TopicName: ALERT_TOPIC_NAME },
            statistic: 'Sum',
            period,
            label: 'alerts published',
          }),
          ...counted(['MODERATION_FLAGGED']),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'What the bot posted and held back',
        width: 8,
        left: counted(['SEND_TWEET', 'REPLY_SUPPRESSED', 'REPOSTED', 'REPOST_SUPPRESSED']),
      }),
    );
    if (observed.functions.length > 0) {
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: 'Lambda errors', width: 8, left: lambdaMetric('Errors', 'Sum') }),
        new cloudwatch.GraphWidget({ title: 'Lambda duration p99 (ms)', width: 8, left: lambdaMetric('Duration', 'p99') }),
        new cloudwatch.GraphWidget({ title: 'Lambda throttles', width: 8, left: lambdaMetric('Throttles', 'Sum') }),
      );
    }
  }
}
