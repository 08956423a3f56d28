import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rekognition from 'aws-cdk-lib/aws-rekognition';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { StarlingConfig } from '../config';
import { functionSpec, maybeFunction, type StarlingFunction } from '../functions';
import { STATE_MACHINE_NAME } from '../names';
import type { Observed } from '../observability';
import { type RouteTable, route, ruleFor } from '../routes';
import { DeadLetterQueue, TARGET_RETRY } from '../targets';
import { OBJECT_KEYS, expectWildcards } from '../nag';
import { EVENT_SOURCES, grantPutEventsAs } from '../iam';

/** The media bucket as another stack sees it: imported by export name. */
export interface MediaBucketRef {
  readonly arn: string;
  readonly name: string;
}

export interface AnalysisStackProps extends StackProps {
  readonly config: StarlingConfig;
  readonly routes: RouteTable;
  readonly bus: events.IEventBus;
  readonly observed: Observed;
}

/** The state machine definition, shared with the local runtime. */
export const ASL_PATH = path.join('statemachines', 'analyse-message.asl.json');

/**
 * Every `${…}` of an ASL file, as written (`DownloadMediaFunctionArn`, or `...` for a `${...}` in a
 * comment). CloudFormation substitutes only the names in DefinitionSubstitutions, and cfn-lint
 * rejects any other `${…}` (E1029), so each must be a known substitution.
 */
export function placeholders(asl: string): string[] {
  return [...new Set([...asl.matchAll(/\$\{([^}]*)\}?/g)].map((m) => m[1]))].sort();
}

/** The known-faces collection's id for a stack: `starling-<stack name, lower case>-known-faces`. */
export function faceCollectionId(stackName: string): string {
  return `starling-${stackName.toLowerCase()}-known-faces`;
}

/** Rekognition and Comprehend calls have no resource-level permissions: the IAM reference lists none. */
export const REKOGNITION_ACTIONS = ['rekognition:DetectLabels', 'rekognition:RecognizeCelebrities', 'rekognition:DetectText'];
export const COMPREHEND_ACTIONS = ['comprehend:DetectDominantLanguage', 'comprehend:DetectSentiment', 'comprehend:DetectEntities', 'comprehend:DetectKeyPhrases'];

/**
 * MESSAGE_RECEIVED → the EXPRESS state machine `analyse-message` (text and media branches) →
 * MESSAGE_ANALYSED or MESSAGE_ANALYSIS_FAILED. Owns the media bucket the images are downloaded to.
 */
export class AnalysisStack extends Stack {
  readonly mediaBucket: s3.Bucket;
  readonly stateMachine?: sfn.StateMachine;
  readonly downloadMedia?: StarlingFunction;
  readonly analyseImage?: StarlingFunction;
  readonly analyseText?: StarlingFunction;
  /** The known-faces gallery: people enrolled with `starling faces --aws`, searched by analyse-image. */
  readonly faceCollection: rekognition.CfnCollection;
  /**
   * The media bucket for other stacks, as named exports: a policy then names the bucket the same
   * way before and after synthesis, so its cdk-nag acknowledgment matches (see lib/nag.ts).
   */
  readonly mediaBucketRef: MediaBucketRef;
  /** The substitutions the ASL file may use, and what each one becomes. */
  readonly substitutions: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: AnalysisStackProps) {
    super(scope, id, props);
    const { config, routes, bus, observed } = props;

    this.mediaBucket = new s3.Bucket(this, 'Media', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ id: 'expire-after-a-day', expiration: Duration.days(1), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.mediaBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Scratch space: every object expires after one day and is only touched by the app\'s own roles; access logs would outlive the data.',
    });

    this.mediaBucketRef = {
      arn: this.exportValue(this.mediaBucket.bucketArn, { name: 'starling-media-bucket-arn' }),
      name: this.exportValue(this.mediaBucket.bucketName, { name: 'starling-media-bucket-name' }),
    };
    // Deleting the stack deletes the collection and every enrolled face with it: enrolments are
    // people's faces, kept only as long as the bot that uses them.
    this.faceCollection = new rekognition.CfnCollection(this, 'KnownFaces', { collectionId: faceCollectionId(this.stackName) });
    this.faceCollection.applyRemovalPolicy(RemovalPolicy.DESTROY);
    new CfnOutput(this, 'FaceCollectionId', {
      value: this.faceCollection.ref,
      description: 'The known-faces Rekognition collection: enrol people with `starling faces add --aws --collection <this>` (cdk/README.md "Known faces")',
    });

    const wiring = { mediaBucketName: this.mediaBucket.bucketName, faceCollectionId: this.faceCollection.ref };
    this.downloadMedia = maybeFunction(this, 'DownloadMedia', { config, spec: functionSpec('download-media'), wiring, observed });
    this.analyseImage = maybeFunction(this, 'AnalyseImage', { config, spec: functionSpec('analyse-image'), wiring, observed });
    this.analyseText = maybeFunction(this, 'AnalyseText', { config, spec: functionSpec('analyse-text'), wiring, observed });
    const objects = this.mediaBucket.arnForObjects('*');
    if (this.downloadMedia) {
      this.downloadMedia.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objects] }));
      expectWildcards(this.downloadMedia.role, OBJECT_KEYS);
    }
    if (this.analyseImage) {
      this.analyseImage.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }));
      this.analyseImage.role.addToPolicy(new iam.PolicyStatement({ actions: REKOGNITION_ACTIONS, resources: ['*'] }));
      // The known-faces search names its collection: no `*`. DescribeCollection reads the face
      // count, so an empty collection is not searched (and not paid for).
      this.analyseImage.role.addToPolicy(
        new iam.PolicyStatement({ actions: ['rekognition:DescribeCollection', 'rekognition:SearchFacesByImage'], resources: [this.faceCollection.attrArn] }),
      );
      expectWildcards(this.analyseImage.role, OBJECT_KEYS, starResource(REKOGNITION_ACTIONS, 'Rekognition image operations have no resource-level permissions.'));
    }
    if (this.analyseText) {
      this.analyseText.role.addToPolicy(new iam.PolicyStatement({ actions: COMPREHEND_ACTIONS, resources: ['*'] }));
      expectWildcards(this.analyseText.role, starResource(COMPREHEND_ACTIONS, 'Comprehend real-time Detect* calls have no resource-level permissions.'));
    }

    const aslFile = path.join(config.repoRoot, ASL_PATH);
    if (!fs.existsSync(aslFile)) {
      // NEXT STEP: statemachines/analyse-message.asl.json is being written; until it lands there is
      // no state machine and no analyse-message rule. Nothing else here changes when it does.
      Annotations.of(this).addWarningV2(
        'starling:state-machine-skipped',
        `${ASL_PATH} does not exist yet: the ${STATE_MACHINE_NAME} state machine and its MESSAGE_RECEIVED route are skipped`,
      );
      return;
    }
    const missing = [this.downloadMedia, this.analyseImage, this.analyseText].some((f) => f === undefined);
    if (missing) {
      Annotations.of(this).addWarningV2(
        'starling:state-machine-skipped',
        `the ${STATE_MACHINE_NAME} state machine needs download-media, analyse-image and analyse-text: skipped with its route until all three crates exist`,
      );
      return;
    }
    Object.assign(this.substitutions, {
      DownloadMediaFunctionArn: this.downloadMedia!.fn.functionArn,
      AnalyseImageFunctionArn: this.analyseImage!.fn.functionArn,
      AnalyseTextFunctionArn: this.analyseText!.fn.functionArn,
      EventBusName: bus.eventBusName,
      EventBusArn: bus.eventBusArn,
      MediaBucket: this.mediaBucket.bucketName,
      AnalysisSource: 'starling.analysis',
    });
    const asl = fs.readFileSync(aslFile, 'utf8');
    const unknown = placeholders(asl).filter((p) => !(p in this.substitutions));
    if (unknown.length > 0) {
      throw new Error(
        `${ASL_PATH} contains \${${unknown.join('}, ${')}}, which the Analysis stack does not substitute ` +
          `(known: ${Object.keys(this.substitutions).join(', ')}); CloudFormation would not fill it and cfn-lint rejects it (E1029). ` +
          'Use a known placeholder, or reword the text (e.g. a Comment) so it contains no "${".',
      );
    }

    const smLogs = new logs.LogGroup(this, 'StateMachineLogs', {
      // /aws/vendedlogs/ keeps the log delivery's resource policy small.
      logGroupName: `/aws/vendedlogs/states/${STATE_MACHINE_NAME}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'StateMachineRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: `Role of the ${STATE_MACHINE_NAME} state machine`,
    });
    const sm = new sfn.StateMachine(this, 'AnalyseMessage', {
      stateMachineName: STATE_MACHINE_NAME,
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromString(asl),
      definitionSubstitutions: this.substitutions,
      logs: { destination: smLogs, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
      timeout: Duration.minutes(5),
      role,
    });
    this.stateMachine = sm;
    // The three functions, unqualified: no `:*` for versions and aliases the definition never uses.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.downloadMedia!.fn.functionArn, this.analyseImage!.fn.functionArn, this.analyseText!.fn.functionArn],
      }),
    );
    grantPutEventsAs(bus, role, EVENT_SOURCES.analysis);
    // CDK's own grants for logging and tracing: CloudWatch Logs delivery and X-Ray take no resource.
    expectWildcards(role, {
      finding: /^AwsSolutions-IAM5\[Resource::\*\]$/,
      reason: 'Step Functions log delivery (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) have no resource-level permissions.',
    });

    const dlq = new DeadLetterQueue(this, 'AnalyseMessageDlq', { name: 'analyse-message', observed });
    ruleFor(this, 'AnalyseMessageRule', bus, route(routes, 'analyse-message')).addTarget(
      new targets.SfnStateMachine(sm, { deadLetterQueue: dlq.queue, ...TARGET_RETRY }),
    );
  }
}

/** The `Resource::*` finding of a role calling services without resource-level permissions. */
export function starResource(actions: string[], reason: string) {
  return { finding: /^AwsSolutions-IAM5\[Resource::\*\]$/, reason: `${reason} (${actions.join(', ')})` };
}
