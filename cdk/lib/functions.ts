import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, Duration, type ILocalBundling, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';
import type { StarlingConfig } from './config';
import type { Observed } from './observability';

/**
 * Values a stack can hand to its functions' environments. A row asks for the ones it needs;
 * asking for one the stack did not provide is a synth-time error, not a runtime surprise.
 */
export interface Wiring {
  readonly eventBusName?: string;
  readonly secretArn?: string;
  readonly botUserId?: string;
  readonly mediaBucketName?: string;
  readonly alertTopicArn?: string;
  readonly botId?: string;
  readonly botAliasId?: string;
  readonly botLocaleId?: string;
  readonly idempotencyTableName?: string;
  readonly policyTableName?: string;
  /** The ingress's redelivery table (key `IdempotencyKey`). */
  readonly dedupTableName?: string;
  /** The bus's ARN (a Scheduler target names the bus by ARN). */
  readonly eventBusArn?: string;
  /** The role EventBridge Scheduler puts a deferred SEND_TWEET back on the bus as. */
  readonly deferRoleArn?: string;
  /** The sources' checkpoint table (key `Source`). */
  readonly checkpointTableName?: string;
  /** The reply policy document (JSON), from context `replyPolicy`. */
  readonly replyPolicy?: string;
  /** `true` or `false`, from context `dryRun`. */
  readonly dryRun?: string;
  /** The known-faces Rekognition collection analyse-image searches. */
  readonly faceCollectionId?: string;
}

/** One Lambda of the workspace: adding a Lambda to the app is adding one of these. */
export interface FunctionSpec {
  /** The function's name in the app (and in routes.json targets); deployed as `starling-<name>`. */
  readonly name: string;
  /** The crate directory under `lambdas/`; absent → the function and its routes are skipped. */
  readonly crate: string;
  /** The binary cargo-lambda builds (`--bin`). */
  readonly binary: string;
  readonly memoryMb: number;
  readonly timeout: Duration;
  /** Reserved concurrency: the ceiling on parallel runs (and so on runaway cost). */
  readonly reservedConcurrency: number;
  /** Environment variable → wiring key it is read from. */
  readonly env: Record<string, keyof Wiring>;
  /** Optional environment variables with fixed values. */
  readonly fixedEnv?: Record<string, string>;
}

const s = Duration.seconds;

/** The single list of the workspace's Lambdas. */
export const FUNCTIONS: readonly FunctionSpec[] = [
  {
    name: 'ingress', crate: 'ingress', binary: 'ingress', memoryMb: 256, timeout: s(10), reservedConcurrency: 20,
    env: { SECRET_ARN: 'secretArn', EVENT_BUS_NAME: 'eventBusName', BOT_USER_ID: 'botUserId', DEDUP_TABLE: 'dedupTableName' },
    fixedEnv: { MAX_BODY_BYTES: '1048576', SECRET_TTL_SECONDS: '300' },
  },
  {
    // One poll at a time (reserved concurrency 1): up to 8 pages of 10 s reads and the publish.
    name: 'poll-mentions', crate: 'poll-mentions', binary: 'poll-mentions', memoryMb: 256, timeout: s(120), reservedConcurrency: 1,
    env: {
      SECRET_ARN: 'secretArn', EVENT_BUS_NAME: 'eventBusName', BOT_USER_ID: 'botUserId',
      DEDUP_TABLE: 'dedupTableName', CHECKPOINT_TABLE: 'checkpointTableName',
    },
    fixedEnv: { SECRET_TTL_SECONDS: '300', X_TIMEOUT_SECONDS: '10', FIRST_WINDOW_SECONDS: '900' },
  },
  {
    // Longer than the state machine's 60 s DownloadMedia TimeoutSeconds, so the task's own timeout (retried) fires first.
    name: 'download-media', crate: 'download-media', binary: 'download-media', memoryMb: 256, timeout: s(70), reservedConcurrency: 10,
    env: { MEDIA_BUCKET: 'mediaBucketName' },
  },
  {
    name: 'analyse-image', crate: 'analyse-image', binary: 'analyse-image', memoryMb: 256, timeout: s(30), reservedConcurrency: 10,
    env: { MEDIA_BUCKET: 'mediaBucketName', FACE_COLLECTION_ID: 'faceCollectionId' },
    // The least Rekognition Similarity (0–100) that names a face from the known-faces collection.
    fixedEnv: { FACE_MATCH_THRESHOLD: '90' },
  },
  {
    name: 'analyse-text', crate: 'analyse-text', binary: 'analyse-text', memoryMb: 128, timeout: s(15), reservedConcurrency: 10,
    env: {},
  },
  {
    name: 'alert', crate: 'alert', binary: 'alert', memoryMb: 128, timeout: s(10), reservedConcurrency: 2,
    env: { ALERT_TOPIC_ARN: 'alertTopicArn' },
  },
  {
    name: 'reply-image', crate: 'reply-image', binary: 'reply-image', memoryMb: 1024, timeout: s(30), reservedConcurrency: 5,
    env: {
      MEDIA_BUCKET: 'mediaBucketName', EVENT_BUS_NAME: 'eventBusName',
      POLICY_TABLE: 'policyTableName', BOT_USER_ID: 'botUserId', REPLY_POLICY: 'replyPolicy',
    },
    // Faces Rekognition did not recognise: `ignore` (left alone), `box` (a cyan box, no name) or `blur`.
    fixedEnv: { UNKNOWN_FACES: 'ignore' },
  },
  {
    name: 'reply-text', crate: 'reply-text', binary: 'reply-text', memoryMb: 128, timeout: s(15), reservedConcurrency: 5,
    env: {
      BOT_ID: 'botId', BOT_ALIAS_ID: 'botAliasId', BOT_LOCALE_ID: 'botLocaleId', EVENT_BUS_NAME: 'eventBusName',
      POLICY_TABLE: 'policyTableName', BOT_USER_ID: 'botUserId', REPLY_POLICY: 'replyPolicy',
    },
  },
  {
    name: 'lex-fulfilment', crate: 'lex-fulfilment', binary: 'lex-fulfilment', memoryMb: 128, timeout: s(5), reservedConcurrency: 5,
    env: {},
  },
  {
    // An attempt is cut off at ATTEMPT_DEADLINE_SECONDS; the timeout sits above it and below the
    // claim's LEASE_SECONDS, so a claim is never taken over from a live attempt (tested).
    name: 'egress', crate: 'egress', binary: 'egress', memoryMb: 256, timeout: s(150), reservedConcurrency: 2,
    env: {
      SECRET_ARN: 'secretArn', EVENT_BUS_NAME: 'eventBusName', MEDIA_BUCKET: 'mediaBucketName',
      IDEMPOTENCY_TABLE: 'idempotencyTableName', DRY_RUN: 'dryRun', BOT_USER_ID: 'botUserId',
      EVENT_BUS_ARN: 'eventBusArn', DEFER_ROLE_ARN: 'deferRoleArn',
    },
    fixedEnv: { SECRET_TTL_SECONDS: '300', X_TIMEOUT_SECONDS: '10', ATTEMPT_DEADLINE_SECONDS: '120', LEASE_SECONDS: '180' },
  },
  {
    // One X call per search match (a repost is idempotent on X); two at a time keeps reposts slow.
    name: 'repost', crate: 'repost', binary: 'repost', memoryMb: 128, timeout: s(30), reservedConcurrency: 2,
    env: {
      SECRET_ARN: 'secretArn', EVENT_BUS_NAME: 'eventBusName', POLICY_TABLE: 'policyTableName',
      BOT_USER_ID: 'botUserId', REPLY_POLICY: 'replyPolicy', DRY_RUN: 'dryRun',
    },
    fixedEnv: { SECRET_TTL_SECONDS: '300', X_TIMEOUT_SECONDS: '10' },
  },
  {
    name: 'firehose-transform', crate: 'firehose-transform', binary: 'firehose-transform', memoryMb: 256, timeout: s(60), reservedConcurrency: 5,
    env: {},
  },
];

export function functionSpec(name: string): FunctionSpec {
  const f = FUNCTIONS.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no function named ${name} in FUNCTIONS`);
  return f;
}

/** Whether the function's crate exists in the workspace yet. */
export function crateExists(config: StarlingConfig, spec: FunctionSpec): boolean {
  return fs.existsSync(path.join(config.repoRoot, 'lambdas', spec.crate, 'Cargo.toml'));
}

/** The deployed function name. */
export function functionName(name: string): string {
  return `starling-${name}`;
}

/**
 * With `skipBundling`, cargo-lambda-cdk's local bundler is replaced by one that writes a placeholder
 * `bootstrap`: the templates are the real ones, only the zip's content is a stand-in.
 */
class PlaceholderBundler implements ILocalBundling {
  constructor(private readonly binary: string) {}
  tryBundle(outputDir: string): boolean {
    fs.writeFileSync(
      path.join(outputDir, 'bootstrap'),
      `#!/bin/sh\n# Placeholder for the ${this.binary} Lambda: synthesized with -c skipBundling=true.\n` +
        'echo "this asset was synthesized with skipBundling; redeploy without it" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    return true;
  }
}

export interface StarlingFunctionProps {
  readonly config: StarlingConfig;
  readonly spec: FunctionSpec;
  readonly wiring: Wiring;
  /** Where the function is recorded for the Plumbing dashboard. */
  readonly observed: Observed;
  /** Dead-letter queue for asynchronous invocations that fail after the retries. */
  readonly deadLetterQueue?: sqs.IQueue;
  /** Retries of a failed asynchronous invocation (0-2). */
  readonly asyncRetryAttempts?: number;
  readonly maxEventAge?: Duration;
}

/**
 * A workspace Lambda: RustFunction (provided.al2023, arm64 by default), its own role, its own log
 * group with retention, reserved concurrency, and the environment its row asks for.
 */
export class StarlingFunction extends Construct {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: StarlingFunctionProps) {
    super(scope, id);
    const { config, spec, wiring } = props;
    const environment: Record<string, string> = { RUST_LOG: 'info', ...(spec.fixedEnv ?? {}) };
    for (const [envName, key] of Object.entries(spec.env)) {
      const v = wiring[key];
      if (v === undefined) throw new Error(`function ${spec.name}: ${envName} needs wiring.${key}, which ${Stack.of(this).stackName} does not provide`);
      environment[envName] = v;
    }
    const name = functionName(spec.name);
    props.observed.addFunction(spec.name, name);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/lambda/${name}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${name}`,
    });
    // Instead of AWSLambdaBasicExecutionRole (any log group): this function's log group only.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.fn = new RustFunction(this, 'Function', {
      functionName: name,
      description: `Starling ${spec.name} (lambdas/${spec.crate}, bin ${spec.binary})`,
      manifestPath: path.join(config.repoRoot, 'Cargo.toml'),
      binaryName: spec.binary,
      runtime: 'provided.al2023',
      architecture: config.architecture,
      bundling: {
        architecture: config.architecture,
        ...(config.skipBundling ? { dockerOptions: { local: new PlaceholderBundler(spec.binary) } } : {}),
      },
      memorySize: spec.memoryMb,
      timeout: spec.timeout,
      environment,
      role: this.role,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: config.reservedConcurrency ? spec.reservedConcurrency : undefined,
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.asyncRetryAttempts,
      maxEventAge: props.maxEventAge,
    });
  }
}

/**
 * Builds the function if its crate exists; otherwise leaves a warning on the stack and returns
 * undefined, so the caller skips the function's rules and targets too.
 */
export function maybeFunction(scope: Construct, id: string, props: StarlingFunctionProps): StarlingFunction | undefined {
  if (!crateExists(props.config, props.spec)) {
    Annotations.of(scope).addWarningV2(
      `starling:function-skipped:${props.spec.name}`,
      `lambdas/${props.spec.crate} does not exist yet: the ${props.spec.name} function and its routes are skipped`,
    );
    return undefined;
  }
  return new StarlingFunction(scope, id, props);
}
