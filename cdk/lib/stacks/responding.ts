import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lex from 'aws-cdk-lib/aws-lex';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { type MediaBucketRef, starResource } from './analysis';
import type { Construct } from 'constructs';
import { type BotDefinition, loadBot } from '../bot';
import type { StarlingConfig } from '../config';
import { functionSpec, maybeFunction, type StarlingFunction } from '../functions';
import type { Observed } from '../observability';
import { type RouteTable, route, ruleFor } from '../routes';
import { DeadLetterQueue, TARGET_RETRY } from '../targets';
import { keyTable } from '../tables';
import { OBJECT_KEYS, expectWildcards } from '../nag';
import { EVENT_SOURCES, grantPutEventsAs } from '../iam';

export interface RespondingStackProps extends StackProps {
  readonly config: StarlingConfig;
  readonly routes: RouteTable;
  readonly bus: events.IEventBus;
  readonly mediaBucket: MediaBucketRef;
  readonly observed: Observed;
}

export const BOT_ALIAS_NAME = 'live';

/** The moderation gate's calls: neither has resource-level permissions (the IAM reference lists none). */
export const IMAGE_MODERATION_ACTIONS = ['rekognition:DetectModerationLabels'];
export const TEXT_MODERATION_ACTIONS = ['comprehend:DetectToxicContent'];

/**
 * The Lex V2 bot (Joke / Fact / Fallback), the two reply Lambdas that turn analyses into
 * SEND_TWEET, and the reply policy's table (opt-outs, cooldowns, caps, budget) both consult.
 */
export class RespondingStack extends Stack {
  readonly policyTable: dynamodb.Table;
  readonly bot: lex.CfnBot;
  readonly botAlias: lex.CfnBotAlias;
  readonly definition: BotDefinition;
  readonly replyImage?: StarlingFunction;
  readonly replyText?: StarlingFunction;
  readonly fulfilment?: StarlingFunction;
  /** The repost rule for keyword-search matches (acts only with the policy's repost.enabled). */
  readonly repost?: StarlingFunction;

  constructor(scope: Construct, id: string, props: RespondingStackProps) {
    super(scope, id, props);
    const { config, routes, bus, mediaBucket, observed } = props;
    const { bot: def, hash } = loadBot(config.repoRoot);
    this.definition = def;

    this.fulfilment = maybeFunction(this, 'LexFulfilment', { config, spec: functionSpec('lex-fulfilment'), wiring: {}, observed });

    // A text-only bot needs no permissions; Lex still requires a role to assume.
    const botRole = new iam.Role(this, 'BotRole', {
      assumedBy: new iam.ServicePrincipal('lexv2.amazonaws.com'),
      description: 'Runtime role of the Starling Lex bot (text only: no permissions needed)',
    });
    const codeHook = this.fulfilment !== undefined;
    this.bot = new lex.CfnBot(this, 'Bot', {
      name: def.name,
      description: def.description,
      roleArn: botRole.roleArn,
      dataPrivacy: { ChildDirected: false },
      idleSessionTtlInSeconds: def.idleSessionTtlSeconds ?? 300,
      autoBuildBotLocales: true,
      botLocales: [
        {
          localeId: def.locale,
          nluConfidenceThreshold: def.confidenceThreshold,
          intents: [
            ...def.intents.map((i) => ({
              name: i.name,
              description: i.description,
              sampleUtterances: i.utterances.map((utterance) => ({ utterance })),
              fulfillmentCodeHook: { enabled: codeHook },
            })),
            {
              name: 'FallbackIntent',
              description: 'Below the confidence threshold',
              parentIntentSignature: 'AMAZON.FallbackIntent',
              intentClosingSetting: {
                isActive: true,
                closingResponse: { messageGroupsList: [{ message: { plainTextMessage: { value: def.fallbackText } } }] },
              },
            },
          ],
        },
      ],
    });
    // A new bot version whenever the definition changes (versions are immutable).
    const version = new lex.CfnBotVersion(this, `Version${hash.slice(0, 12)}`, {
      botId: this.bot.attrId,
      description: `bot/starling-bot.json sha256 ${hash}`,
      botVersionLocaleSpecification: [{ localeId: def.locale, botVersionLocaleDetails: { sourceBotVersion: 'DRAFT' } }],
    });
    this.botAlias = new lex.CfnBotAlias(this, 'Alias', {
      botId: this.bot.attrId,
      botAliasName: BOT_ALIAS_NAME,
      botVersion: version.attrBotVersion,
      botAliasLocaleSettings: [
        {
          localeId: def.locale,
          botAliasLocaleSetting: {
            enabled: true,
            ...(this.fulfilment
              ? { codeHookSpecification: { lambdaCodeHook: { codeHookInterfaceVersion: '1.0', lambdaArn: this.fulfilment.fn.functionArn } } }
              : {}),
          },
        },
      ],
    });
    if (this.fulfilment) {
      this.fulfilment.fn.addPermission('InvokedByLex', {
        principal: new iam.ServicePrincipal('lexv2.amazonaws.com'),
        action: 'lambda:InvokeFunction',
        sourceArn: this.botAlias.attrArn,
      });
    }

    // One item per record (`Key`): conditional transactions make each decision one compare-and-set.
    // Opt-outs must survive a teardown and a mistake: retained, with point-in-time recovery.
    this.policyTable = keyTable(this, 'ReplyPolicy', {
      tableName: 'starling-reply-policy',
      partitionKey: 'Key',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const policyWiring = {
      policyTableName: this.policyTable.tableName,
      botUserId: config.twitterAccountId,
      replyPolicy: config.replyPolicy,
    };

    const imageDlq = new DeadLetterQueue(this, 'ReplyImageDlq', { name: 'reply-image', observed });
    this.replyImage = maybeFunction(this, 'ReplyImage', {
      config,
      spec: functionSpec('reply-image'),
      wiring: { mediaBucketName: mediaBucket.name, eventBusName: bus.eventBusName, ...policyWiring },
      observed,
      deadLetterQueue: imageDlq.queue,
      asyncRetryAttempts: 2,
    });
    if (this.replyImage) {
      // It reads the photos download-media stored, and writes only its annotated copies.
      this.replyImage.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`${mediaBucket.arn}/*`] }));
      this.replyImage.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [`${mediaBucket.arn}/annotated/*`] }));
      expectWildcards(this.replyImage.role, OBJECT_KEYS);
      // The moderation gate judges each photo before it is drawn on.
      this.replyImage.role.addToPolicy(new iam.PolicyStatement({ actions: IMAGE_MODERATION_ACTIONS, resources: ['*'] }));
      expectWildcards(this.replyImage.role, starResource(IMAGE_MODERATION_ACTIONS, 'Rekognition image operations have no resource-level permissions.'));
      grantPutEventsAs(bus, this.replyImage.fn, EVENT_SOURCES.responding);
      this.policyTable.grantReadWriteData(this.replyImage.fn);
      ruleFor(this, 'ReplyImageRule', bus, route(routes, 'reply-image')).addTarget(
        new targets.LambdaFunction(this.replyImage.fn, { deadLetterQueue: imageDlq.queue, ...TARGET_RETRY }),
      );
    }

    const textDlq = new DeadLetterQueue(this, 'ReplyTextDlq', { name: 'reply-text', observed });
    this.replyText = maybeFunction(this, 'ReplyText', {
      config,
      spec: functionSpec('reply-text'),
      wiring: {
        botId: this.bot.attrId,
        botAliasId: this.botAlias.attrBotAliasId,
        botLocaleId: def.locale,
        eventBusName: bus.eventBusName,
        ...policyWiring,
      },
      observed,
      deadLetterQueue: textDlq.queue,
      asyncRetryAttempts: 2,
    });
    if (this.replyText) {
      this.replyText.role.addToPolicy(
        new iam.PolicyStatement({ actions: ['lex:RecognizeText'], resources: [this.botAlias.attrArn] }),
      );
      // The moderation gate judges the post and the reply (English) before it is sent.
      this.replyText.role.addToPolicy(new iam.PolicyStatement({ actions: TEXT_MODERATION_ACTIONS, resources: ['*'] }));
      expectWildcards(this.replyText.role, starResource(TEXT_MODERATION_ACTIONS, 'Comprehend real-time Detect* calls have no resource-level permissions.'));
      grantPutEventsAs(bus, this.replyText.fn, EVENT_SOURCES.responding);
      this.policyTable.grantReadWriteData(this.replyText.fn);
      ruleFor(this, 'ReplyTextRule', bus, route(routes, 'reply-text')).addTarget(
        new targets.LambdaFunction(this.replyText.fn, { deadLetterQueue: textDlq.queue, ...TARGET_RETRY }),
      );
    }

    // The repost rule: search matches by curated authors reposted as the bot, under the same
    // policy state and budget as replies.
    const repostDlq = new DeadLetterQueue(this, 'RepostDlq', { name: 'repost', observed });
    const secret = secretsmanager.Secret.fromSecretNameV2(this, 'TwitterSecret', config.twitterSecretName);
    this.repost = maybeFunction(this, 'Repost', {
      config,
      spec: functionSpec('repost'),
      wiring: { secretArn: secret.secretArn, eventBusName: bus.eventBusName, dryRun: String(config.dryRun), ...policyWiring },
      observed,
      deadLetterQueue: repostDlq.queue,
      asyncRetryAttempts: 2,
    });
    if (this.repost) {
      secret.grantRead(this.repost.fn);
      grantPutEventsAs(bus, this.repost.fn, EVENT_SOURCES.responding);
      this.policyTable.grantReadWriteData(this.repost.fn);
      ruleFor(this, 'RepostRule', bus, route(routes, 'repost')).addTarget(
        new targets.LambdaFunction(this.repost.fn, { deadLetterQueue: repostDlq.queue, ...TARGET_RETRY }),
      );
    }
  }
}
