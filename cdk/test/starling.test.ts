import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { DEFAULT_REPO_ROOT } from '../lib/config';
import { FUNCTIONS, functionName } from '../lib/functions';
import { STAR_RESOURCE_ACTIONS } from '../lib/iam';
import { loadRoutes } from '../lib/routes';
import { faceCollectionId } from '../lib/stacks/analysis';
import { PROJECTION_START } from '../lib/stacks/analytics';
import { SILVER_SCHEDULE, SILVER_STATE_MACHINE_NAME, loadSilverTables } from '../lib/silver';
import { ACCOUNT_ID, completeWorkspace, ingressOnlyWorkspace, nagViolations, resources, type Synthesized, synth } from './helpers';

const routes = loadRoutes(DEFAULT_REPO_ROOT).routes;
let today: Synthesized;
let repository: Synthesized;
let complete: Synthesized;

beforeAll(() => {
  today = synth('ingress-only', ingressOnlyWorkspace());
  repository = synth('repository', DEFAULT_REPO_ROOT);
  complete = synth('complete', completeWorkspace(), { alertEmails: 'ops@example.com,oncall@example.com' });
});

const STACKS = ['Plumbing', 'Ingress', 'Analysis', 'Alerting', 'Responding', 'Egress', 'Analytics'];

describe.each([
  ['an ingress-only workspace', () => today],
  ['this repository as it is', () => repository],
  ['the complete workspace', () => complete],
])('%s', (_name, get) => {
  test('synthesizes all seven stacks', () => {
    expect(Object.keys(get().templates).sort()).toEqual([...STACKS].sort());
  });

  test('cdk-nag AwsSolutions: no unacknowledged findings', () => {
    expect(nagViolations(get())).toEqual([]);
  });

  test('every cdk-nag acknowledgment is in the template (audit trail) with a reason', () => {
    let n = 0;
    for (const t of Object.values(get().templates)) {
      for (const r of Object.values(t.toJSON().Resources ?? {}) as any[]) {
        for (const x of r.Metadata?.cdk_nag?.rules_to_suppress ?? []) {
          n += 1;
          expect(x.id).toMatch(/^AwsSolutions-/);
          expect(String(x.reason ?? '').length).toBeGreaterThan(30);
        }
      }
    }
    expect(n).toBeGreaterThan(0);
  });

  test('every rule is a route of schemas/routes.json, with its pattern verbatim, on the Plumbing bus', () => {
    const rules = resources(get(), 'AWS::Events::Rule');
    for (const r of rules) {
      const route = routes.find((x) => x.name === r.props.Name);
      expect(route).toBeDefined();
      expect(r.props.EventPattern).toEqual(route!.pattern);
      expect(r.props.Description).toEqual(route!.description);
      expect(r.props.State).toEqual('ENABLED');
      expect(r.props.Targets).toHaveLength(1);
      const t = r.props.Targets[0];
      expect(t.DeadLetterConfig?.Arn).toBeDefined();
      expect(t.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 6 * 3600 });
    }
    expect(new Set(rules.map((r) => r.props.Name)).size).toEqual(rules.length);
  });

  test('every function: provided.al2023, arm64, bootstrap, its log group, its environment, reserved concurrency', () => {
    const fns = resources(get(), 'AWS::Lambda::Function');
    expect(fns.length).toBeGreaterThan(0);
    for (const f of fns) {
      const spec = FUNCTIONS.find((x) => functionName(x.name) === f.props.FunctionName);
      expect(spec).toBeDefined();
      expect(f.props.Runtime).toEqual('provided.al2023');
      expect(f.props.Architectures).toEqual(['arm64']);
      expect(f.props.Handler).toEqual('bootstrap');
      expect(f.props.MemorySize).toEqual(spec!.memoryMb);
      expect(f.props.Timeout).toEqual(spec!.timeout.toSeconds());
      expect(f.props.ReservedConcurrentExecutions).toEqual(spec!.reservedConcurrency);
      expect(f.props.LoggingConfig?.LogGroup).toBeDefined();
      const vars = Object.keys(f.props.Environment.Variables).sort();
      expect(vars).toEqual(['RUST_LOG', ...Object.keys(spec!.env), ...Object.keys(spec!.fixedEnv ?? {})].sort());
    }
    for (const lg of resources(get(), 'AWS::Logs::LogGroup')) expect(lg.props.RetentionInDays).toBeDefined();
  });

  test('no identity-policy statement has a * resource except the documented actions', () => {
    const statements: { stack: string; id: string; st: any }[] = [];
    for (const p of resources(get(), 'AWS::IAM::Policy')) for (const st of p.props.PolicyDocument.Statement) statements.push({ stack: p.stack, id: p.id, st });
    for (const r of resources(get(), 'AWS::IAM::Role')) {
      for (const pol of r.props.Policies ?? []) for (const st of pol.PolicyDocument.Statement) statements.push({ stack: r.stack, id: r.id, st });
    }
    const offenders: string[] = [];
    for (const { stack, id, st } of statements) {
      const res = ([] as unknown[]).concat(st.Resource);
      if (!res.includes('*')) continue;
      for (const a of ([] as string[]).concat(st.Action)) {
        if (!(a in STAR_RESOURCE_ACTIONS)) offenders.push(`${stack}/${id}: ${a}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

/** The Responding stack's Lex wiring, checked wherever reply-text and lex-fulfilment exist. */
function expectLexWiring(s: Synthesized): void {
  const t = s.templates.Responding;
  const def = JSON.parse(fs.readFileSync(path.join(DEFAULT_REPO_ROOT, 'bot', 'starling-bot.json'), 'utf8'));
  const logicalId = (fn: string) => Object.entries(t.findResources('AWS::Lambda::Function', { Properties: { FunctionName: fn } }))[0]?.[0];
  const fulfilment = logicalId('starling-lex-fulfilment');
  const replyText = logicalId('starling-reply-text');
  expect(fulfilment).toBeDefined();
  expect(replyText).toBeDefined();
  const alias = Object.keys(t.findResources('AWS::Lex::BotAlias'))[0];
  const version = Object.keys(t.findResources('AWS::Lex::BotVersion'))[0];
  const bot = Object.keys(t.findResources('AWS::Lex::Bot'))[0];
  // The alias points at the version built from the definition, with the fulfilment code hook.
  t.hasResourceProperties('AWS::Lex::BotAlias', {
    BotId: { 'Fn::GetAtt': [bot, 'Id'] },
    BotVersion: { 'Fn::GetAtt': [version, 'BotVersion'] },
    BotAliasLocaleSettings: [{
      LocaleId: def.locale,
      BotAliasLocaleSetting: {
        Enabled: true,
        CodeHookSpecification: { LambdaCodeHook: { CodeHookInterfaceVersion: '1.0', LambdaArn: { 'Fn::GetAtt': [fulfilment, 'Arn'] } } },
      },
    }],
  });
  t.hasResourceProperties('AWS::Lex::BotVersion', {
    BotId: { 'Fn::GetAtt': [bot, 'Id'] },
    BotVersionLocaleSpecification: [{ LocaleId: def.locale, BotVersionLocaleDetails: { SourceBotVersion: 'DRAFT' } }],
  });
  // Every intent of the definition is fulfilled by the code hook.
  const locale = (Object.values(t.findResources('AWS::Lex::Bot'))[0] as any).Properties.BotLocales[0];
  for (const i of def.intents) expect(locale.Intents.find((x: any) => x.Name === i.name).FulfillmentCodeHook).toEqual({ Enabled: true });
  // Only this alias may invoke the code hook.
  t.hasResourceProperties('AWS::Lambda::Permission', {
    Principal: 'lexv2.amazonaws.com',
    Action: 'lambda:InvokeFunction',
    FunctionName: { 'Fn::GetAtt': [fulfilment, 'Arn'] },
    SourceArn: { 'Fn::GetAtt': [alias, 'Arn'] },
  });
  // reply-text asks that alias, in the definition's locale, and may call RecognizeText on it alone.
  t.hasResourceProperties('AWS::Lambda::Function', {
    FunctionName: 'starling-reply-text',
    Environment: {
      Variables: {
        RUST_LOG: 'info',
        BOT_ID: { 'Fn::GetAtt': [bot, 'Id'] },
        BOT_ALIAS_ID: { 'Fn::GetAtt': [alias, 'BotAliasId'] },
        BOT_LOCALE_ID: def.locale,
        EVENT_BUS_NAME: Match.anyValue(),
      },
    },
  });
  const lexStatements = resources(s, 'AWS::IAM::Policy')
    .flatMap((p) => p.props.PolicyDocument.Statement as any[])
    .filter((st) => ([] as string[]).concat(st.Action).some((a) => a.startsWith('lex:')));
  expect(lexStatements).toEqual([{ Action: 'lex:RecognizeText', Effect: 'Allow', Resource: { 'Fn::GetAtt': [alias, 'Arn'] } }]);
  // The code hook needs nothing but its logs; the remote joke/fact source is off by default.
  t.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'starling-lex-fulfilment', Environment: { Variables: { RUST_LOG: 'info' } } });
  // reply-text is the target of the reply-text route, with a DLQ.
  t.hasResourceProperties('AWS::Events::Rule', {
    Name: 'reply-text',
    Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [replyText, 'Arn'] }, DeadLetterConfig: Match.anyValue() })],
  });
}

describe('this repository as it is', () => {
  test('reply-text and lex-fulfilment are deployed and wired to the Lex bot', () => {
    const names = resources(repository, 'AWS::Lambda::Function').map((f) => f.props.FunctionName);
    expect(names).toEqual(expect.arrayContaining(['starling-reply-text', 'starling-lex-fulfilment']));
    expectLexWiring(repository);
  });
});

describe('an ingress-only workspace (only lambdas/ingress)', () => {
  test('only the routes whose targets exist: the catch-all log and the lake', () => {
    expect(resources(today, 'AWS::Events::Rule').map((r) => r.props.Name).sort()).toEqual(['catch-all-log', 'lake']);
    expect(resources(today, 'AWS::Lambda::Function').map((f) => f.props.FunctionName)).toEqual(['starling-ingress']);
  });

  test('a missing crate or state machine is a synth-time warning', () => {
    Annotations.fromStack(today.stacks.egress).hasWarning('*', Match.stringLikeRegexp('lambdas/egress does not exist yet'));
    Annotations.fromStack(today.stacks.analysis).hasWarning('*', Match.stringLikeRegexp('analyse-message.asl.json does not exist yet'));
    today.templates.Analysis.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
  });

  test('without the transform Lambda, Firehose extracts the partition keys with jq', () => {
    today.templates.Analytics.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'events/detail_type=!{partitionKeyFromQuery:detail_type}/dt=!{partitionKeyFromQuery:dt}/hour=!{partitionKeyFromQuery:hour}/',
        ProcessingConfiguration: {
          Enabled: true,
          Processors: Match.arrayWith([
            {
              Type: 'MetadataExtraction',
              Parameters: Match.arrayWith([{ ParameterName: 'MetadataExtractionQuery', ParameterValue: '{detail_type: ."detail-type", dt: .time[0:10], hour: .time[11:13]}' }]),
            },
          ]),
        },
      }),
    });
    // EventBridge's records carry no line end: Firehose appends exactly one.
    const stream = resources(today, 'AWS::KinesisFirehose::DeliveryStream')[0].props;
    const types = stream.ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors.map((p: any) => p.Type);
    expect(types.filter((t: string) => t === 'AppendDelimiterToRecord')).toHaveLength(1);
  });

  test('without athena/tables, the default events table', () => {
    today.templates.Analytics.hasResourceProperties('AWS::Glue::Table', { TableInput: Match.objectLike({ Name: 'events' }) });
  });

  test('without athena/silver, no silver tables, state machine or schedule', () => {
    const t = today.templates.Analytics;
    t.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    t.resourceCountIs('AWS::Scheduler::Schedule', 0);
    expect(resources(today, 'AWS::Glue::Table').map((r) => r.props.TableInput.Name)).toEqual(['events']);
  });
});

describe('the complete workspace', () => {
  test('every route of schemas/routes.json is a rule', () => {
    expect(resources(complete, 'AWS::Events::Rule').map((r) => r.props.Name).sort()).toEqual(routes.map((r) => r.name).sort());
    // poll-mentions is deployed only with -c mentionsSource=poll or both (tested on its own below).
    expect(resources(complete, 'AWS::Lambda::Function').map((f) => f.props.FunctionName).sort()).toEqual(
      FUNCTIONS.filter((f) => f.name !== 'poll-mentions').map((f) => functionName(f.name)).sort(),
    );
  });

  test('Plumbing: bus, archive, catch-all log, a metric filter per detail-type, dashboard, alarms', () => {
    const t = complete.templates.Plumbing;
    t.hasResourceProperties('AWS::Events::EventBus', { Name: 'Plumbing' });
    t.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 7 });
    t.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/events/plumbing-events', RetentionInDays: 30 });
    t.hasResourceProperties('AWS::Logs::ResourcePolicy', { PolicyName: 'starling-events-to-logs' });
    const dts = fs.readdirSync(path.join(DEFAULT_REPO_ROOT, 'schemas')).filter((f) => f.endsWith('.schema.json') && f !== 'envelope.schema.json');
    // One per detail-type, and one per sentiment of MESSAGE_ANALYSED.
    t.resourceCountIs('AWS::Logs::MetricFilter', dts.length + 4);
    t.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.detail-type = "MESSAGE_ANALYSED") && ($.detail.Analysis.TextSentiment = "NEGATIVE") }',
      MetricTransformations: [Match.objectLike({ MetricNamespace: 'Starling/Events', MetricName: 'SentimentNEGATIVE' })],
    });
    t.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.detail-type = "MESSAGE_ANALYSIS_FAILED" }',
      MetricTransformations: [Match.objectLike({ MetricNamespace: 'Starling/Events', MetricName: 'MESSAGE_ANALYSIS_FAILED' })],
    });
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    // What ops look at: counts per type, sentiment, alerts, what was posted or held back, X API
    // outcomes, DLQ depths, analysis failures, Lambda errors and durations.
    const body = JSON.stringify(Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0]);
    for (const title of ['Events per detail-type', 'Sentiment of analysed messages', 'Alerts to ops', 'What the bot posted and held back', 'X API outcomes (egress)', 'DLQ depths', 'Analysis failures', 'Lambda errors', 'Lambda duration p99 (ms)']) {
      expect(body).toContain(title);
    }
    for (const metric of ['SentimentMIXED', 'NumberOfMessagesPublished', 'starling-alerts', 'REPLY_SUPPRESSED', 'REPOSTED', 'TWEET_FAILED', 'ExecutionsFailed']) {
      expect(body).toContain(metric);
    }
    // One alarm per DLQ (catch-all, analyse-message, alert, reply-image, reply-text, egress, repost, lake) + analysis failures.
    t.resourceCountIs('AWS::CloudWatch::Alarm', 9);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'starling-egress-dlq-not-empty',
      MetricName: 'ApproximateNumberOfMessagesVisible',
    });
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')) as any[];
    for (const a of alarms) expect(JSON.stringify(a.Properties.AlarmActions)).toContain(':starling-alerts');
  });

  test('Ingress: GET and POST /twitter on an HTTP API, throttled and logged; the webhook URL is an output', () => {
    const t = complete.templates.Ingress;
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /twitter' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /twitter' });
    t.resourceCountIs('AWS::ApiGatewayV2::Route', 2);
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    t.hasOutput('WebhookUrl', {});
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'starling-ingress',
      Environment: { Variables: Match.objectLike({ BOT_USER_ID: ACCOUNT_ID, EVENT_BUS_NAME: Match.anyValue(), SECRET_ARN: Match.anyValue() }) },
    });
    // The secret is referenced, never created.
    for (const tt of Object.values(complete.templates)) tt.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  test('Analysis: media bucket, EXPRESS state machine with substitutions, logging and tracing', () => {
    const t = complete.templates.Analysis;
    t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 1, Status: 'Enabled' })]) },
      BucketEncryption: Match.anyValue(),
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'analyse-message',
      StateMachineType: 'EXPRESS',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
      DefinitionSubstitutions: Match.objectLike({
        DownloadMediaFunctionArn: Match.anyValue(), AnalyseImageFunctionArn: Match.anyValue(), AnalyseTextFunctionArn: Match.anyValue(),
        EventBusName: Match.anyValue(), MediaBucket: Match.anyValue(),
      }),
    });
  });

  test('Analysis: the known-faces collection, searched only by analyse-image, named in an output', () => {
    const t = complete.templates.Analysis;
    expect(faceCollectionId('Analysis')).toEqual('starling-analysis-known-faces');
    const collections = t.findResources('AWS::Rekognition::Collection');
    expect(Object.values(collections)).toEqual([
      // Enrolled faces go with the stack: nothing biometric outlives the bot.
      expect.objectContaining({ Properties: expect.objectContaining({ CollectionId: 'starling-analysis-known-faces' }), DeletionPolicy: 'Delete' }),
    ]);
    const collection = Object.keys(collections)[0];
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'starling-analyse-image',
      Environment: { Variables: Match.objectLike({ FACE_COLLECTION_ID: { Ref: collection }, FACE_MATCH_THRESHOLD: '90', MEDIA_BUCKET: Match.anyValue() }) },
    });
    const threshold = Number(FUNCTIONS.find((f) => f.name === 'analyse-image')!.fixedEnv!.FACE_MATCH_THRESHOLD);
    expect(threshold).toBeGreaterThanOrEqual(0);
    expect(threshold).toBeLessThanOrEqual(100);
    t.hasOutput('FaceCollectionId', { Value: { Ref: collection } });
    // One statement in the whole app touches a collection: analyse-image's count and search, on this one.
    const role = Object.entries(t.findResources('AWS::IAM::Role')).find(([, r]: [string, any]) =>
      String(r.Properties.Description ?? '').includes('starling-analyse-image'))![0];
    const faceStatements = resources(complete, 'AWS::IAM::Policy').flatMap((p) =>
      (p.props.PolicyDocument.Statement as any[])
        .filter((st) => ([] as string[]).concat(st.Action).some((a) => /^rekognition:(SearchFaces|IndexFaces|ListFaces|DeleteFaces|\w*Collection)/.test(a)))
        .map((st) => ({ roles: p.props.Roles, st })));
    expect(faceStatements).toEqual([
      { roles: [{ Ref: role }], st: { Action: ['rekognition:DescribeCollection', 'rekognition:SearchFacesByImage'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [collection, 'Arn'] } } },
    ]);
  });

  test('Alerting: TLS-only encrypted topic, e-mail subscriptions from context', () => {
    const t = complete.templates.Alerting;
    t.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'starling-alerts', KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    t.resourceCountIs('AWS::SNS::Subscription', 2);
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  test('Alerting: the alert Lambda is the target of both alert routes, negative messages and moderation flags', () => {
    const rules = resources(complete, 'AWS::Events::Rule').filter((r) => r.stack === 'Alerting');
    expect(rules.map((r) => r.props.Name).sort()).toEqual(['alert-moderation', 'alert-negative']);
    const targetsOf = (name: string) => JSON.stringify(rules.find((r) => r.props.Name === name)!.props.Targets[0].Arn);
    expect(targetsOf('alert-moderation')).toEqual(targetsOf('alert-negative'));
    expect(rules.find((r) => r.props.Name === 'alert-moderation')!.props.EventPattern).toEqual({
      source: ['starling.responding'],
      'detail-type': ['MODERATION_FLAGGED'],
      detail: { Alert: [true] },
    });
    // Both rules may invoke it.
    const permissions = resources(complete, 'AWS::Lambda::Permission').filter(
      (p) => p.stack === 'Alerting' && p.props.Principal === 'events.amazonaws.com',
    );
    expect(permissions).toHaveLength(2);
  });

  test('Responding: the moderation gate — reply-image may call DetectModerationLabels and reply-text DetectToxicContent, each only its own', () => {
    /** Every action in the identity policies of the role of function `name`, with its resources. */
    const grants = (name: string): { action: string; resource: string }[] => {
      const fn = resources(complete, 'AWS::Lambda::Function').find((f) => f.props.FunctionName === `starling-${name}`)!;
      const role = fn.props.Role['Fn::GetAtt'][0] as string;
      return resources(complete, 'AWS::IAM::Policy')
        .filter((p) => p.stack === fn.stack && (p.props.Roles as { Ref: string }[]).some((r) => r.Ref === role))
        .flatMap((p) => p.props.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .flatMap((st) => ([] as string[]).concat(st.Action).map((action) => ({ action, resource: JSON.stringify(st.Resource) })));
    };
    const image = grants('reply-image');
    const text = grants('reply-text');
    expect(image).toContainEqual({ action: 'rekognition:DetectModerationLabels', resource: '"*"' });
    expect(text).toContainEqual({ action: 'comprehend:DetectToxicContent', resource: '"*"' });
    expect(image.map((g) => g.action)).not.toContain('comprehend:DetectToxicContent');
    expect(text.map((g) => g.action)).not.toContain('rekognition:DetectModerationLabels');
    // Nothing else of either service: the gate does not make them analysers.
    expect(image.filter((g) => g.action.startsWith('rekognition:')).map((g) => g.action)).toEqual(['rekognition:DetectModerationLabels']);
    expect(text.filter((g) => g.action.startsWith('comprehend:')).map((g) => g.action)).toEqual(['comprehend:DetectToxicContent']);
    // The `*` resources carry their cdk-nag acknowledgment with the reason.
    const acks = Object.values(complete.templates.Responding.toJSON().Resources as Record<string, any>)
      .flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? [])
      .map((x: { reason: string }) => x.reason);
    expect(acks.some((r: string) => r.includes('rekognition:DetectModerationLabels'))).toBe(true);
    expect(acks.some((r: string) => r.includes('comprehend:DetectToxicContent'))).toBe(true);
  });

  test('Responding: the Lex bot from bot/starling-bot.json, a version, an alias with the code hook', () => {
    const t = complete.templates.Responding;
    const def = JSON.parse(fs.readFileSync(path.join(DEFAULT_REPO_ROOT, 'bot', 'starling-bot.json'), 'utf8'));
    const bot = Object.values(t.findResources('AWS::Lex::Bot'))[0] as any;
    const locale = bot.Properties.BotLocales[0];
    expect(locale.LocaleId).toEqual(def.locale);
    expect(locale.NluConfidenceThreshold).toEqual(def.confidenceThreshold);
    expect(locale.Intents.map((i: any) => i.Name).sort()).toEqual([...def.intents.map((i: any) => i.name), 'FallbackIntent'].sort());
    const joke = locale.Intents.find((i: any) => i.Name === 'Joke');
    expect(joke.SampleUtterances.map((u: any) => u.Utterance)).toEqual(def.intents.find((i: any) => i.name === 'Joke').utterances);
    expect(joke.FulfillmentCodeHook).toEqual({ Enabled: true });
    t.resourceCountIs('AWS::Lex::BotVersion', 1);
    t.hasResourceProperties('AWS::Lex::BotAlias', {
      BotAliasLocaleSettings: [Match.objectLike({ BotAliasLocaleSetting: Match.objectLike({ CodeHookSpecification: Match.anyValue() }) })],
    });
    t.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'lexv2.amazonaws.com', Action: 'lambda:InvokeFunction' });
    expectLexWiring(complete);
  });

  test('Egress: idempotency table, async retry limit and DLQ', () => {
    const t = complete.templates.Egress;
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'IdempotencyKey', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'ExpiresAt', Enabled: true },
    });
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 3600 });
    t.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'starling-egress', DeadLetterConfig: { TargetArn: Match.anyValue() } });
  });

  test('Egress: the timeout sits above one attempt\'s deadline and below a claim\'s lease; it knows the bot\'s user id', () => {
    const fns = resources(complete, 'AWS::Lambda::Function').filter((f) => f.props.FunctionName === 'starling-egress');
    expect(fns).toHaveLength(1);
    const { Timeout, Environment } = fns[0].props as { Timeout: number; Environment: { Variables: Record<string, string> } };
    const vars = Environment.Variables;
    const deadline = Number(vars.ATTEMPT_DEADLINE_SECONDS);
    const lease = Number(vars.LEASE_SECONDS);
    // The worst attempt: six X calls (a lookup, four uploads, the post) of X_TIMEOUT_SECONDS each.
    expect(deadline).toBeGreaterThanOrEqual(6 * Number(vars.X_TIMEOUT_SECONDS));
    expect(Timeout).toBeGreaterThan(deadline);
    expect(lease).toBeGreaterThan(Timeout);
    expect(vars.BOT_USER_ID).toMatch(/^[0-9]+$/);
  });

  test('Responding: reply-image reads and writes the media bucket and is told what to do with unknown faces', () => {
    const t = complete.templates.Responding;
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'starling-reply-image',
      Environment: { Variables: Match.objectLike({ MEDIA_BUCKET: Match.anyValue(), EVENT_BUS_NAME: Match.anyValue(), UNKNOWN_FACES: 'ignore' }) },
      DeadLetterConfig: { TargetArn: Match.anyValue() },
    });
    // Reads any media key; writes only its annotated copies.
    const s3 = resources(complete, 'AWS::IAM::Policy')
      .filter((p) => p.stack === 'Responding')
      .flatMap((p) => p.props.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((st) => ([] as string[]).concat(st.Action).some((a) => a.startsWith('s3:')));
    const puts = s3.filter((st) => ([] as string[]).concat(st.Action).includes('s3:PutObject'));
    expect(puts).toHaveLength(1);
    expect(JSON.stringify(puts[0].Resource)).toContain('/annotated/*');
  });

  test('every events:PutEvents is conditioned on the one events:source its principal publishes', () => {
    const puts = resources(complete, 'AWS::IAM::Policy').flatMap((p) =>
      (p.props.PolicyDocument.Statement as { Action: string | string[]; Condition?: any }[])
        .filter((st) => ([] as string[]).concat(st.Action).includes('events:PutEvents'))
        .map((st) => ({ stack: p.stack, id: p.id, source: st.Condition?.StringEquals?.['events:source'] })),
    );
    expect(puts.length).toBeGreaterThanOrEqual(5);
    const expected: Record<string, string> = {
      Ingress: 'starling.twitter',
      Analysis: 'starling.analysis',
      Responding: 'starling.responding',
      Egress: 'starling.egress',
    };
    // The Egress stack's defer role puts a rate-limited SEND_TWEET back: as the responding source.
    const want = (p: { stack: string; id: string }) => (p.id.includes('DeferRole') ? 'starling.responding' : expected[p.stack]);
    for (const p of puts) expect([p.stack, p.id, p.source]).toEqual([p.stack, p.id, want(p)]);
  });

  test('Ingress: redeliveries are claimed in their own table, which only the ingress Lambda writes', () => {
    const t = complete.templates.Ingress;
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'starling-ingress-redeliveries',
      KeySchema: [{ AttributeName: 'IdempotencyKey', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'ExpiresAt', Enabled: true },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'starling-ingress',
      Environment: { Variables: Match.objectLike({ DEDUP_TABLE: Match.anyValue() }) },
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['dynamodb:PutItem']) })]) },
    });
  });

  test('Responding: the reply policy table, read and written only by the two reply Lambdas and the repost rule, which know the bot', () => {
    const t = complete.templates.Responding;
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'starling-reply-policy',
      KeySchema: [{ AttributeName: 'Key', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'ExpiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    for (const name of ['reply-image', 'reply-text', 'repost']) {
      t.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: `starling-${name}`,
        Environment: {
          Variables: Match.objectLike({ POLICY_TABLE: Match.anyValue(), BOT_USER_ID: ACCOUNT_ID, REPLY_POLICY: '{}' }),
        },
      });
    }
    // TransactWriteItems needs PutItem on the table; the grant names the table, never `*`.
    const grants = resources(complete, 'AWS::IAM::Policy')
      .filter((p) => p.stack === 'Responding')
      .flatMap((p) => p.props.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((st) => ([] as string[]).concat(st.Action).includes('dynamodb:PutItem'));
    expect(grants).toHaveLength(3);
    for (const g of grants) expect(JSON.stringify(g.Resource)).toContain('ReplyPolicy');
    complete.templates.Egress.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'starling-egress',
      Environment: { Variables: Match.objectLike({ DRY_RUN: 'false' }) },
    });
  });

  test('Responding: the repost rule gets only keyword-search matches, reads the X secret, puts only starling.responding and shares DRY_RUN with egress', () => {
    const t = complete.templates.Responding;
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'starling-repost',
      Environment: { Variables: Match.objectLike({ SECRET_ARN: Match.anyValue(), DRY_RUN: 'false', EVENT_BUS_NAME: Match.anyValue() }) },
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      Name: 'repost',
      EventPattern: { source: ['starling.twitter'], 'detail-type': ['MESSAGE_RECEIVED'], detail: { Source: ['search'] } },
    });
    const statements = resources(complete, 'AWS::IAM::Policy')
      .filter((p) => p.stack === 'Responding' && p.id.startsWith('Repost'))
      .flatMap((p) => p.props.PolicyDocument.Statement as { Action: string | string[]; Condition?: unknown }[]);
    const actions = statements.flatMap((st) => ([] as string[]).concat(st.Action));
    expect(actions).toContain('secretsmanager:GetSecretValue');
    const puts = statements.filter((st) => ([] as string[]).concat(st.Action).includes('events:PutEvents'));
    expect(puts).toHaveLength(1);
    expect(JSON.stringify(puts[0].Condition)).toContain('starling.responding');
  });

  test('Analytics: Firehose with dynamic partitioning through the transform Lambda, Glue projection, Athena', () => {
    const t = complete.templates.Analytics;
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'events/detail_type=!{partitionKeyFromLambda:detail_type}/dt=!{partitionKeyFromLambda:dt}/hour=!{partitionKeyFromLambda:hour}/',
        ErrorOutputPrefix: Match.stringLikeRegexp('^errors/'),
        DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
        ProcessingConfiguration: { Enabled: true, Processors: Match.arrayWith([Match.objectLike({ Type: 'Lambda' })]) },
      }),
    });
    // The transform Lambda ends each record with its one newline (starling_core::lake): Firehose must
    // not append a second, or every object has a blank line after each event (a NULL row to the SerDe).
    const processors = resources(complete, 'AWS::KinesisFirehose::DeliveryStream')[0].props.ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors;
    expect(processors.map((p: any) => p.Type)).toEqual(['Lambda']);
    t.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'starling', Description: Match.anyValue() } });
    t.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'messages_analysed',
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.detail_type.values': 'MESSAGE_ANALYSED',
          'projection.dt.type': 'date',
        }),
        PartitionKeys: [Match.objectLike({ Name: 'detail_type' }), Match.objectLike({ Name: 'dt' }), Match.objectLike({ Name: 'hour' })],
      }),
    });
    t.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: Match.objectLike({ EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } }),
      }),
    });
    t.hasResourceProperties('AWS::Athena::NamedQuery', { Name: 'sentiment', Database: 'starling' });
  });

  test('Analytics: the repository\'s athena/tables, projected over detail_type, dt and hour where Firehose writes', () => {
    const t = complete.templates.Analytics;
    const tables = resources(complete, 'AWS::Glue::Table').map((r) => r.props.TableInput);
    const files = fs.readdirSync(path.join(DEFAULT_REPO_ROOT, 'athena', 'tables')).filter((f) => f.endsWith('.json'));
    for (const f of files) {
      const def = JSON.parse(fs.readFileSync(path.join(DEFAULT_REPO_ROOT, 'athena', 'tables', f), 'utf8'));
      const table = tables.find((x) => x.Name === def.name);
      expect(table).toBeDefined();
      expect(table.StorageDescriptor.Columns).toEqual(def.columns.map((c: any) => ({ Name: c.name, Type: c.type.toLowerCase(), Comment: c.comment })));
      expect(table.PartitionKeys.map((k: any) => k.Name)).toEqual(['detail_type', 'dt', 'hour']);
      expect(table.StorageDescriptor.SerdeInfo).toEqual({
        SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
        Parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true' },
      });
      const p = table.Parameters;
      expect(p['projection.enabled']).toEqual('true');
      expect(p['projection.hour.type']).toEqual('integer');
      expect(p['projection.hour.range']).toEqual('0,23');
      expect(p['projection.hour.digits']).toEqual('2');
      expect(JSON.stringify(p['storage.location.template'])).toMatch(/events\/detail_type=\$\{detail_type\}\/dt=\$\{dt\}\/hour=\$\{hour\}\/"/);
      if (def.detailTypes) expect(p['projection.detail_type.values']).toEqual(def.detailTypes.join(','));
      else expect(p['projection.detail_type.values'].split(',')).toEqual(expect.arrayContaining(['MESSAGE_RECEIVED', 'MESSAGE_ANALYSED', 'MESSAGE_ANALYSIS_FAILED', 'TWEET_SENT']));
    }
    expect(tables.map((x) => x.Name)).toEqual(expect.arrayContaining(['events', 'analysed-messages-table']));
    const queries = fs.readdirSync(path.join(DEFAULT_REPO_ROOT, 'athena')).filter((f) => f.endsWith('.sql'));
    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const q of queries) {
      t.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: q.slice(0, -4),
        Database: 'starling',
        QueryString: fs.readFileSync(path.join(DEFAULT_REPO_ROOT, 'athena', q), 'utf8'),
      });
    }
  });
});

test('context replyPolicy and dryRun reach the reply Lambdas and egress; a replyPolicy that is not a JSON object fails the synth', () => {
  const policy = '{"cooldownSeconds":120,"deny":["@spam"]}';
  const s = synth('policy', completeWorkspace(), { replyPolicy: policy, dryRun: 'true' });
  s.templates.Responding.hasResourceProperties('AWS::Lambda::Function', {
    FunctionName: 'starling-reply-text',
    Environment: { Variables: Match.objectLike({ REPLY_POLICY: policy }) },
  });
  s.templates.Egress.hasResourceProperties('AWS::Lambda::Function', {
    FunctionName: 'starling-egress',
    Environment: { Variables: Match.objectLike({ DRY_RUN: 'true' }) },
  });
  expect(() => synth('bad-policy', completeWorkspace(), { replyPolicy: '[1]' })).toThrow(/replyPolicy/);
});

test('context architecture=x86_64 and reservedConcurrency=false', () => {
  const s = synth('x86', DEFAULT_REPO_ROOT, { architecture: 'x86_64', reservedConcurrency: 'false' });
  const f = resources(s, 'AWS::Lambda::Function')[0];
  expect(f.props.Architectures).toEqual(['x86_64']);
  expect(f.props.ReservedConcurrentExecutions).toBeUndefined();
});

test('an ASL ${…} that is not a substitution fails the synth (CloudFormation would not fill it)', () => {
  const root = completeWorkspace();
  const file = path.join(root, 'statemachines', 'analyse-message.asl.json');
  const asl = JSON.parse(fs.readFileSync(file, 'utf8'));
  asl.Comment = 'Placeholders ${...} are filled by CDK';
  fs.writeFileSync(file, JSON.stringify(asl));
  expect(() => synth('bad-asl', root)).toThrow(/contains \$\{\.\.\.\}, which the Analysis stack does not substitute/);
});

test('context mentionsSource: poll deploys the mentions poller on a schedule instead of the webhook; both deploys the two; webhook neither poller nor schedule', () => {
  const poll = synth('poll', completeWorkspace(), { mentionsSource: 'poll', pollSchedule: 'rate(2 minutes)' });
  const t = poll.templates.Ingress;
  t.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
  t.hasResourceProperties('AWS::Lambda::Function', {
    FunctionName: 'starling-poll-mentions',
    ReservedConcurrentExecutions: 1,
    Environment: { Variables: Match.objectLike({ BOT_USER_ID: ACCOUNT_ID, CHECKPOINT_TABLE: Match.anyValue(), DEDUP_TABLE: Match.anyValue() }) },
  });
  t.hasResourceProperties('AWS::DynamoDB::Table', {
    TableName: 'starling-source-checkpoints',
    KeySchema: [{ AttributeName: 'Source', KeyType: 'HASH' }],
  });
  t.hasResourceProperties('AWS::Scheduler::Schedule', {
    ScheduleExpression: 'rate(2 minutes)',
    State: 'ENABLED',
    Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } }),
  });
  // The schedule's role may invoke the poller and nothing else.
  const invokes = resources(poll, 'AWS::IAM::Policy')
    .filter((p) => p.stack === 'Ingress')
    .flatMap((p) => p.props.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
    .filter((st) => ([] as string[]).concat(st.Action).includes('lambda:InvokeFunction'));
  expect(invokes).toHaveLength(1);
  expect(JSON.stringify(invokes[0].Resource)).toContain('PollMentions');
  expect(JSON.stringify(invokes[0].Resource)).not.toContain(':*');
  // The poller puts TWITTER_* and MESSAGE_RECEIVED as the webhook does, and only that source.
  const puts = resources(poll, 'AWS::IAM::Policy')
    .filter((p) => p.id.includes('PollMentions'))
    .flatMap((p) => p.props.PolicyDocument.Statement as { Action: string | string[]; Condition?: unknown }[])
    .filter((st) => ([] as string[]).concat(st.Action).includes('events:PutEvents'));
  expect(puts).toHaveLength(1);
  expect(JSON.stringify(puts[0].Condition)).toContain('starling.twitter');
  expect(nagViolations(poll)).toEqual([]);

  const both = synth('both', completeWorkspace(), { mentionsSource: 'both' });
  both.templates.Ingress.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
  both.templates.Ingress.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 minute)' });

  const webhook = synth('webhook', completeWorkspace(), {});
  webhook.templates.Ingress.resourceCountIs('AWS::Scheduler::Schedule', 0);
  webhook.templates.Ingress.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
  expect(() => synth('bad-source', completeWorkspace(), { mentionsSource: 'stream' })).toThrow(/mentionsSource/);
});

test('context searchQuery: the poller also reads that search on its own schedule (its query as the input), with the webhook still the way in for mentions', () => {
  const s = synth('search', completeWorkspace(), { searchQuery: '#starling -is:retweet', searchSchedule: 'rate(10 minutes)' });
  const t = s.templates.Ingress;
  t.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
  t.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'starling-poll-mentions' });
  // Only the search schedule: mentions still come by webhook (the Analytics stack's silver schedule aside).
  const schedules = resources(s, 'AWS::Scheduler::Schedule').filter((r) => r.stack === 'Ingress').map((r) => r.props);
  expect(schedules).toHaveLength(1);
  expect(schedules[0].Name).toBe('starling-poll-search');
  expect(schedules[0].ScheduleExpression).toBe('rate(10 minutes)');
  expect(JSON.parse(schedules[0].Target.Input)).toEqual({ search: '#starling -is:retweet' });
  expect(nagViolations(s)).toEqual([]);

  const both = synth('search-and-poll', completeWorkspace(), { mentionsSource: 'poll', searchQuery: '#starling' });
  const names = resources(both, 'AWS::Scheduler::Schedule').filter((r) => r.stack === 'Ingress').map((r) => r.props);
  expect(names.map((n) => n.Name).sort()).toEqual(['starling-poll-mentions', 'starling-poll-search']);
  expect(names.find((n) => n.Name === 'starling-poll-search')?.ScheduleExpression).toBe('rate(5 minutes)');
  expect(names.find((n) => n.Name === 'starling-poll-mentions')?.Target.Input).toBeUndefined();
  expect(() => synth('long-search', completeWorkspace(), { searchQuery: 'x'.repeat(513) })).toThrow(/searchQuery/);
  expect(() => synth('bad-search-schedule', completeWorkspace(), { searchQuery: '#a', searchSchedule: 'every 5 minutes' })).toThrow(/searchSchedule/);
});

test('Egress: a rate-limited SEND_TWEET is deferred by a one-time schedule — egress may create only its own schedules and pass only the defer role, which may put only SEND_TWEET\'s source', () => {
  const s = synth('defer', completeWorkspace());
  const t = s.templates.Egress;
  t.hasResourceProperties('AWS::Lambda::Function', {
    FunctionName: 'starling-egress',
    Environment: { Variables: Match.objectLike({ EVENT_BUS_ARN: Match.anyValue(), DEFER_ROLE_ARN: Match.anyValue() }) },
  });
  t.hasResourceProperties('AWS::IAM::Role', {
    AssumeRolePolicyDocument: Match.objectLike({
      Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })],
    }),
  });
  const statements = resources(s, 'AWS::IAM::Policy')
    .filter((p) => p.stack === 'Egress')
    .flatMap((p) => (p.props.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Condition?: unknown }[]).map((st) => ({ ...st, policy: p.id })));
  const create = statements.filter((st) => ([] as string[]).concat(st.Action).includes('scheduler:CreateSchedule'));
  expect(create).toHaveLength(1);
  expect(JSON.stringify(create[0].Resource)).toContain('schedule/default/starling-egress-*');
  const pass = statements.filter((st) => ([] as string[]).concat(st.Action).includes('iam:PassRole'));
  expect(pass).toHaveLength(1);
  expect(JSON.stringify(pass[0].Condition)).toContain('scheduler.amazonaws.com');
  expect(JSON.stringify(pass[0].Resource)).toContain('DeferRole');
  const puts = statements.filter((st) => st.policy.includes('DeferRole') && ([] as string[]).concat(st.Action).includes('events:PutEvents'));
  expect(puts).toHaveLength(1);
  expect(JSON.stringify(puts[0].Condition)).toContain('starling.responding');
  expect(nagViolations(s)).toEqual([]);
});

/** athena/silver as the repository has it: tables.json and one SELECT per table. */
const SILVER_DIR = path.join(DEFAULT_REPO_ROOT, 'athena', 'silver');
const silverDefs = JSON.parse(fs.readFileSync(path.join(SILVER_DIR, 'tables.json'), 'utf8')) as {
  name: string;
  partitionedByDay: boolean;
  columns: { name: string; type: string; comment?: string }[];
}[];
const silverSql = (name: string) => fs.readFileSync(path.join(SILVER_DIR, `${name}.sql`), 'utf8');

/** The silver state machine's definition (the DefinitionString, parsed) and its resource. */
function silverMachine(s: Synthesized): { id: string; props: Record<string, any>; asl: any } {
  const machines = resources(s, 'AWS::StepFunctions::StateMachine').filter((r) => r.props.StateMachineName === SILVER_STATE_MACHINE_NAME);
  expect(machines).toHaveLength(1);
  expect(machines[0].stack).toBe('Analytics');
  return { ...machines[0], asl: JSON.parse(machines[0].props.DefinitionString) };
}

/** Every statement of the policies attached to the Analytics role whose logical id starts with `rolePrefix`. */
function roleStatements(s: Synthesized, rolePrefix: string): { Action: string | string[]; Resource: unknown; Condition?: any }[] {
  const roles = Object.keys(s.templates.Analytics.findResources('AWS::IAM::Role')).filter((id) => id.startsWith(rolePrefix));
  expect(roles).toHaveLength(1);
  return resources(s, 'AWS::IAM::Policy')
    .filter((p) => p.stack === 'Analytics' && JSON.stringify(p.props.Roles) === JSON.stringify([{ Ref: roles[0] }]))
    .flatMap((p) => p.props.PolicyDocument.Statement);
}
const actionsOf = (st: { Action: string | string[] }) => ([] as string[]).concat(st.Action);

describe.each([
  ['this repository as it is', () => repository],
  ['the complete workspace', () => complete],
])('the silver layer on AWS (%s)', (_name, get) => {
  test('athena/silver: every SELECT has an entry in tables.json and every entry a SELECT', () => {
    const files = fs.readdirSync(SILVER_DIR).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -4)).sort();
    expect(silverDefs.map((d) => d.name).sort()).toEqual(files);
    expect(files).toEqual(expect.arrayContaining(['events_silver', 'posts', 'users']));
  });

  test('a Glue table per tables.json entry: Parquet (zstd) under silver/<table>/, columns as listed, dt projected on the day-partitioned ones', () => {
    const tables = resources(get(), 'AWS::Glue::Table').map((r) => r.props.TableInput);
    for (const def of silverDefs) {
      const table = tables.find((x) => x.Name === def.name);
      expect(table).toBeDefined();
      expect(table.TableType).toBe('EXTERNAL_TABLE');
      expect(table.StorageDescriptor.Columns).toEqual(def.columns.map((c) => ({ Name: c.name, Type: c.type, Comment: c.comment })));
      expect(table.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat');
      expect(table.StorageDescriptor.OutputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat');
      expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
      expect(JSON.stringify(table.StorageDescriptor.Location)).toMatch(new RegExp(`/silver/${def.name}/"`));
      const p = table.Parameters;
      expect(p.classification).toBe('parquet');
      expect(p['parquet.compression']).toBe('ZSTD');
      if (def.partitionedByDay) {
        expect(table.PartitionKeys).toEqual([expect.objectContaining({ Name: 'dt', Type: 'string' })]);
        expect(p['projection.enabled']).toBe('true');
        expect(p['projection.dt.type']).toBe('date');
        expect(p['projection.dt.format']).toBe('yyyy-MM-dd');
        expect(p['projection.dt.range']).toBe(`${PROJECTION_START},NOW`);
        expect(JSON.stringify(p['storage.location.template'])).toMatch(new RegExp(`/silver/${def.name}/dt=\\$\\{dt\\}/"`));
      } else {
        expect(table.PartitionKeys).toBeUndefined();
        expect(p['projection.enabled']).toBeUndefined();
      }
    }
    expect(silverDefs.filter((d) => d.partitionedByDay).map((d) => d.name)).toEqual(expect.arrayContaining(['events_silver', 'posts']));
    expect(silverDefs.find((d) => d.name === 'users')?.partitionedByDay).toBe(false);
  });

  test('the state machine embeds each athena/silver/*.sql verbatim in one Athena UNLOAD of its table, written only after its prefix is cleared', () => {
    const { props, asl } = silverMachine(get());
    expect(props.StateMachineType).toBe('STANDARD');
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration).toEqual(expect.objectContaining({ Level: 'ALL', IncludeExecutionData: true }));
    expect(Object.keys(props.DefinitionSubstitutions)).toEqual(['LakeBucket']);
    expect(asl.QueryLanguage).toBe('JSONata');
    const items: { table: string; prefix: string; statement: string }[] = asl.States.Tables.Items;
    expect(items.map((i) => i.table).sort()).toEqual(silverDefs.map((d) => d.name).sort());
    for (const def of silverDefs) {
      const item = items.find((i) => i.table === def.name)!;
      const sql = silverSql(def.name);
      expect(item.statement).toContain(sql);
      expect(item.statement.startsWith('UNLOAD (SELECT ')).toBe(true);
      expect(item.statement).toContain("WITH (format = 'PARQUET', compression = 'ZSTD')");
      // Each listed column, cast to its Glue type; nothing else is written.
      for (const c of def.columns) expect(item.statement).toContain(`AS "${c.name}"`);
      if (def.partitionedByDay) {
        expect(item.prefix).toBe(`silver/${def.name}/dt=@day@/`);
        expect(item.statement).toContain(`TO 's3://\${LakeBucket}/silver/${def.name}/dt=@day@/'`);
        expect(item.statement).toContain("WHERE dt = '@day@'");
        // Bronze read only from the day before to the day after.
        expect(item.statement).toContain(`WITH events AS (SELECT * FROM "starling"."events" WHERE dt BETWEEN '@from@' AND '@to@')`);
      } else {
        expect(item.prefix).toBe(`silver/${def.name}/`);
        expect(item.statement).toContain(`TO 's3://\${LakeBucket}/silver/${def.name}/'`);
        expect(item.statement).not.toContain('@day@');
      }
    }
    // Per table: list the prefix, delete what is there, list again; UNLOAD only once it is empty.
    const job = asl.States.Tables.ItemProcessor.States;
    expect(job.Job.Next).toBe('List');
    expect(job.List.Resource).toBe('arn:aws:states:::aws-sdk:s3:listObjectsV2');
    expect(job.List.Arguments).toEqual({ Bucket: '${LakeBucket}', Prefix: '{% $prefix %}', MaxKeys: 1000 });
    expect(job.List.Next).toBe('AnyLeft');
    expect(job.AnyLeft.Choices).toEqual([{ Condition: '{% $states.input.KeyCount > 0 %}', Next: 'Delete' }]);
    expect(job.AnyLeft.Default).toBe('Unload');
    expect(job.Delete.ItemProcessor.States.DeleteObject.Resource).toBe('arn:aws:states:::aws-sdk:s3:deleteObject');
    expect(job.Delete.Next).toBe('List');
    expect(job.Unload.Resource).toBe('arn:aws:states:::athena:startQueryExecution.sync');
    expect(job.Unload.Arguments.WorkGroup).toBe('starling');
    expect(job.Unload.Arguments.QueryExecutionContext).toEqual({ Catalog: 'AwsDataCatalog', Database: 'starling' });
    expect(job.Unload.Arguments.QueryString).toMatch(/\$job\.statement/);
    // The day goes into SQL text: only a closed UTC day shaped YYYY-MM-DD gets past the first Choice.
    expect(asl.StartAt).toBe('Day');
    expect(asl.States.IsClosedDay.Choices[0].Condition).toContain('/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/');
    expect(asl.States.IsClosedDay.Choices[0].Condition).toContain('$day < $today');
    expect(asl.States.IsClosedDay.Default).toBe('NotAClosedDay');
    expect(asl.States.NotAClosedDay.Type).toBe('Fail');
  });

  test('EventBridge Scheduler starts it daily after midnight UTC, as a role that may start only it; failures alarm to ops', () => {
    const { id } = silverMachine(get());
    const t = get().templates.Analytics;
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: SILVER_STATE_MACHINE_NAME,
      ScheduleExpression: SILVER_SCHEDULE,
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      Target: Match.objectLike({ Arn: { Ref: id }, Input: '{}' }),
    });
    expect(SILVER_SCHEDULE).toBe('cron(30 0 * * ? *)');
    expect(roleStatements(get(), 'SilverScheduleRole')).toEqual([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: id } }]);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${SILVER_STATE_MACHINE_NAME}-failed`,
      AlarmActions: [Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([':starling-alerts'])]) })],
    });
  });

  test('its role: Athena in the starling workgroup, Glue read-only on the database and bronze tables, S3 by prefix (bronze read, silver cleared and written, results)', () => {
    const statements = roleStatements(get(), 'SilverRole');
    const lake = Object.keys(get().templates.Analytics.findResources('AWS::S3::Bucket')).find((id) => id.startsWith('Lake'))!;
    const results = Object.keys(get().templates.Analytics.findResources('AWS::S3::Bucket')).find((id) => id.startsWith('AthenaResults'))!;
    const all = statements.flatMap(actionsOf);
    for (const a of all) expect(a).not.toContain('*');
    for (const st of statements) {
      const res = ([] as unknown[]).concat(st.Resource);
      const service = actionsOf(st)[0].split(':')[0];
      if (res.includes('*')) {
        // Only CDK's own grants for log delivery and X-Ray (no resource-level permissions).
        for (const a of actionsOf(st)) expect(a in STAR_RESOURCE_ACTIONS).toBe(true);
        continue;
      }
      for (const r of res) {
        const text = JSON.stringify(r);
        if (service === 'athena') expect(text).toMatch(/:athena:.*:(workgroup\/starling|datacatalog\/AwsDataCatalog)"/);
        if (service === 'glue') expect(text).toMatch(/:glue:.*:(catalog|database\/starling|table\/starling\/[a-z_-]+)"/);
        if (service === 's3') {
          // The lake and results buckets, or objects below one prefix of them.
          expect(text).toMatch(new RegExp(`^\\{"Fn::GetAtt":\\["(${lake}|${results})","Arn"\\]\\}$|"(${lake}|${results})","Arn"\\]\\},"/(events|silver|results)/\\*"\\]\\]\\}$`));
        }
      }
    }
    const granted = (action: string) => statements.filter((st) => actionsOf(st).includes(action)).flatMap((st) => ([] as unknown[]).concat(st.Resource).map((r) => JSON.stringify(r)));
    expect(granted('athena:StartQueryExecution')).toHaveLength(1);
    expect(granted('athena:StartQueryExecution')[0]).toContain(':workgroup/starling');
    expect(all).toEqual(expect.arrayContaining(['athena:GetQueryExecution', 'athena:StopQueryExecution', 'glue:GetTable', 'glue:GetDatabase']));
    // Glue read-only: UNLOAD registers nothing, the partitions are projected.
    for (const a of all.filter((x) => x.startsWith('glue:'))) expect(a).toMatch(/^glue:(Get|BatchGet)/);
    expect(granted('glue:GetTable').join(' ')).toContain('table/starling/events');
    // Delete only below silver/; write only below silver/ and the results prefix; read bronze below events/.
    expect(granted('s3:DeleteObject')).toEqual([expect.stringContaining('"/silver/*"')]);
    for (const r of granted('s3:PutObject')) expect(r).toMatch(/"\/(silver|results)\/\*"/);
    expect(granted('s3:GetObject').join(' ')).toContain('"/events/*"');
    const lakeList = statements.find((st) => actionsOf(st).includes('s3:ListBucket') && JSON.stringify(st.Resource).includes(lake));
    expect(lakeList?.Condition).toEqual({ StringLike: { 's3:prefix': ['events/*', 'silver/*'] } });
    // The buckets are SSE-S3: no KMS key to grant.
    expect(all.some((a) => a.startsWith('kms:'))).toBe(false);
  });
});

test('athena/silver/tables.json is checked at synth: a missing SELECT, a trailing semicolon, a type Athena cannot cast to, dt as a column', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-silver-'));
  const dir = path.join(root, 'athena', 'silver');
  fs.mkdirSync(dir, { recursive: true });
  const write = (tables: unknown, sql?: string) => {
    fs.writeFileSync(path.join(dir, 'tables.json'), JSON.stringify(tables));
    if (sql === undefined) fs.rmSync(path.join(dir, 't.sql'), { force: true });
    else fs.writeFileSync(path.join(dir, 't.sql'), sql);
  };
  const table = (columns: unknown[]) => [{ name: 't', partitionedByDay: true, columns }];
  write(table([{ name: 'a', type: 'string' }]), '-- t\nSELECT 1 AS a, dt FROM events');
  expect(loadSilverTables(root)?.map((t) => t.def.name)).toEqual(['t']);
  write(table([{ name: 'a', type: 'string' }]));
  expect(() => loadSilverTables(root)).toThrow(/t\.sql does not exist/);
  write(table([{ name: 'a', type: 'string' }]), 'SELECT 1 AS a;\n');
  expect(() => loadSilverTables(root)).toThrow(/trailing ';'/);
  write(table([{ name: 'a', type: 'map<string,string>' }]), 'SELECT 1 AS a');
  expect(() => loadSilverTables(root)).toThrow(/unsupported column type/);
  write(table([{ name: 'dt', type: 'string' }]), 'SELECT 1 AS dt');
  expect(() => loadSilverTables(root)).toThrow(/dt is the partition/);
  fs.rmSync(path.join(dir, 'tables.json'));
  expect(loadSilverTables(root)).toBeUndefined();
});
