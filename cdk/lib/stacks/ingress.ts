import { CfnOutput, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

import type { Construct } from 'constructs';
import type { StarlingConfig } from '../config';
import { functionSpec, maybeFunction, type StarlingFunction } from '../functions';
import type { Observed } from '../observability';
import { keyTable } from '../tables';
import { EVENT_SOURCES, grantPutEventsAs } from '../iam';

export interface IngressStackProps extends StackProps {
  readonly config: StarlingConfig;
  readonly bus: events.IEventBus;
  readonly observed: Observed;
}

/** The webhook path X calls (GET for the CRC, POST for deliveries). */
export const WEBHOOK_PATH = '/twitter';

/**
 * X's webhook endpoint: an HTTP API with exactly `GET /twitter` and `POST /twitter`, throttled,
 * access-logged, in front of the ingress Lambda. Why an HTTP API rather than a Function URL:
 * see cdk/README.md ("Why API Gateway").
 */
export class IngressStack extends Stack {
  /** Redeliveries: each activity item is claimed here before it is published (key `IdempotencyKey`, TTL `ExpiresAt`). */
  readonly dedupTable: dynamodb.Table;
  readonly ingress?: StarlingFunction;
  readonly api?: apigwv2.HttpApi;
  /** The poller and its checkpoints (context `mentionsSource` poll or both, or a `searchQuery`). */
  readonly poller?: StarlingFunction;
  readonly checkpointTable?: dynamodb.Table;

  constructor(scope: Construct, id: string, props: IngressStackProps) {
    super(scope, id, props);
    const { config, bus } = props;
    const secret = secretsmanager.Secret.fromSecretNameV2(this, 'TwitterSecret', config.twitterSecretName);
    this.dedupTable = keyTable(this, 'Redeliveries', {
      tableName: 'starling-ingress-redeliveries',
      partitionKey: 'IdempotencyKey',
      removalPolicy: RemovalPolicy.DESTROY,
    });

    if (config.mentionsSource !== 'webhook' || config.searchQuery !== undefined) {
      this.checkpointTable = keyTable(this, 'Checkpoints', {
        tableName: 'starling-source-checkpoints',
        partitionKey: 'Source',
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.poller = this.pollMentions(config, bus, secret, this.checkpointTable, props.observed);
    }
    if (config.mentionsSource === 'poll') return;

    this.ingress = maybeFunction(this, 'Ingress', {
      config,
      spec: functionSpec('ingress'),
      wiring: {
        secretArn: secret.secretArn,
        eventBusName: bus.eventBusName,
        botUserId: config.twitterAccountId,
        dedupTableName: this.dedupTable.tableName,
      },
      observed: props.observed,
    });
    if (this.ingress === undefined) return;
    const fn = this.ingress.fn;
    secret.grantRead(fn);
    grantPutEventsAs(bus, fn, EVENT_SOURCES.twitter);
    this.dedupTable.grantReadWriteData(fn);

    const accessLog = new logs.LogGroup(this, 'AccessLog', {
      logGroupName: '/starling/webhook-access',
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: 'starling-webhook',
      description: 'X Account Activity webhook: GET (CRC) and POST (events) on /twitter',
      createDefaultStage: false,
    });
    new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      // X delivers a few requests a second at most; anything above is abuse, not load.
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLog),
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    const routes = this.api.addRoutes({
      path: WEBHOOK_PATH,
      methods: [apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Ingress', fn, { payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0 }),
    });
    for (const r of routes) {
      Validations.of(r).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: 'X calls the webhook without credentials; the ingress Lambda authenticates every POST by its HMAC-SHA256 signature (x-twitter-webhooks-signature) and answers GET only with a CRC response.',
        });
    }

    new CfnOutput(this, 'WebhookUrl', {
      value: `${this.api.apiEndpoint}${WEBHOOK_PATH}`,
      description: 'Register this URL with X: POST /2/webhooks {"url": ...}',
    });
  }

  /**
   * The poll-mentions Lambda on an EventBridge Scheduler schedule: the bot's mentions onto the bus
   * through the webhook's redelivery claims (a post that comes both ways is one post), the
   * checkpoint in `starling-source-checkpoints`.
   */
  private pollMentions(
    config: StarlingConfig,
    bus: events.IEventBus,
    secret: secretsmanager.ISecret,
    checkpoints: dynamodb.Table,
    observed: Observed,
  ): StarlingFunction | undefined {
    const poller = maybeFunction(this, 'PollMentions', {
      config,
      spec: functionSpec('poll-mentions'),
      wiring: {
        secretArn: secret.secretArn,
        eventBusName: bus.eventBusName,
        botUserId: config.twitterAccountId,
        dedupTableName: this.dedupTable.tableName,
        checkpointTableName: checkpoints.tableName,
      },
      observed,
    });
    if (poller === undefined) return undefined;
    secret.grantRead(poller.fn);
    grantPutEventsAs(bus, poller.fn, EVENT_SOURCES.twitter);
    this.dedupTable.grantReadWriteData(poller.fn);
    checkpoints.grantReadWriteData(poller.fn);
    const role = new iam.Role(this, 'PollScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'EventBridge Scheduler: invoke starling-poll-mentions on its schedule',
    });
    // The function itself, not its versions (`:*`): the schedule invokes $LATEST.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [poller.fn.functionArn] }));
    // A failed poll is not retried: the next one reads from the same checkpoint.
    const target = { arn: poller.fn.functionArn, roleArn: role.roleArn, retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 } };
    if (config.mentionsSource !== 'webhook') {
      new scheduler.CfnSchedule(this, 'PollMentionsSchedule', {
        name: 'starling-poll-mentions',
        description: 'Reads the bot\'s new mentions (GET /2/users/:id/mentions)',
        scheduleExpression: config.pollSchedule,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target,
      });
    }
    if (config.searchQuery !== undefined) {
      // The same Lambda, told which search to read: its checkpoint is `search:<query>` and its
      // posts carry Source search, which the reply policy never answers.
      new scheduler.CfnSchedule(this, 'PollSearchSchedule', {
        name: 'starling-poll-search',
        description: 'Reads a keyword search for the lake (GET /2/tweets/search/recent)',
        scheduleExpression: config.searchSchedule,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: { ...target, input: JSON.stringify({ search: config.searchQuery }) },
      });
    }
    return poller;
  }
}
