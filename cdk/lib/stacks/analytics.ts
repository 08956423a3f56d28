import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, type CfnResource, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import type * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { StarlingConfig } from '../config';
import { functionSpec, maybeFunction, type StarlingFunction } from '../functions';
import { DELIVERY_STREAM_NAME } from '../names';
import type { Observed } from '../observability';
import { type RouteTable, route, ruleFor } from '../routes';
import { ArnTarget, DeadLetterQueue, TARGET_RETRY } from '../targets';
import { OBJECT_KEYS, expectWildcards } from '../nag';
import { SilverLayer, loadSilverTables } from '../silver';

export interface AnalyticsStackProps extends StackProps {
  readonly config: StarlingConfig;
  readonly routes: RouteTable;
  readonly bus: events.IEventBus;
  readonly detailTypes: string[];
  readonly observed: Observed;
}

/**
 * Where events land: one prefix per detail-type, UTC day and hour (Firehose dynamic partitioning).
 * The local lake (crates/lake, fed by crates/local's lake target) writes the same layout under <data dir>/lake/.
 */
export const LAKE_PREFIX = 'events/';
export const PARTITION_KEYS = [
  { name: 'detail_type', type: 'string', comment: 'the event\'s detail-type' },
  { name: 'dt', type: 'string', comment: 'UTC day of the event\'s time, yyyy-MM-dd' },
  { name: 'hour', type: 'string', comment: 'UTC hour of the event\'s time, 00-23' },
];
/** The partition path below LAKE_PREFIX, with each key's value from `value(key)`. */
export function partitionPath(value: (key: string) => string): string {
  return PARTITION_KEYS.map((k) => `${k.name}=${value(k.name)}/`).join('');
}
/** Partition projection starts here: no partition before it can exist. */
export const PROJECTION_START = '2025-01-01';
export const GLUE_DATABASE = 'starling';
/** Where the workgroup writes query results (and UNLOAD/INSERT manifests) in the results bucket. */
export const RESULTS_PREFIX = 'results/';

/**
 * athena/tables/<table>.json: one Glue table over the lake, also read by the local engine
 * (`starling query`). `columns` are the data columns with Hive/Glue types (the partition keys
 * detail_type, dt and hour are added here, because the Firehose prefix defines them);
 * `detailTypes` narrows the table to some detail-types (its partition projection enumerates only them).
 */
export interface TableDefinition {
  readonly name: string;
  readonly description?: string;
  readonly columns: { readonly name: string; readonly type: string; readonly comment?: string }[];
  readonly detailTypes?: string[];
}

/** The table used until athena/tables/ has definitions: every event, the envelope and its detail. */
export const DEFAULT_TABLE: TableDefinition = {
  name: 'events',
  description: 'Every Starling event (the EventBridge envelope); detail fields are PascalCase in JSON, case-insensitive here',
  columns: [
    { name: 'version', type: 'string' },
    { name: 'id', type: 'string' },
    { name: 'source', type: 'string' },
    { name: 'account', type: 'string' },
    { name: 'time', type: 'string' },
    { name: 'region', type: 'string' },
    { name: 'resources', type: 'array<string>' },
    {
      name: 'detail',
      type:
        'struct<text:string,author:string,lang:string,createdat:string,imageurls:array<string>,' +
        'twitter:struct<tweetid:string,userid:string>,' +
        'analysis:struct<language:string,textsentiment:string,sentimentscore:struct<positive:double,negative:double,neutral:double,mixed:double>,' +
        'keyphrases:array<struct<text:string,score:double>>,textentities:array<struct<text:string,type:string,score:double>>,' +
        'images:array<struct<key:string,analysis:struct<labels:array<struct<name:string,confidence:double>>,' +
        'celebrityfaces:array<struct<name:string>>>>>,provider:string>,' +
        'replytotweetid:string,tweetid:string,idempotencykey:string,error:struct<stage:string,cause:string>>',
    },
  ],
};

export function loadTables(repoRoot: string): TableDefinition[] {
  const dir = path.join(repoRoot, 'athena', 'tables');
  if (!fs.existsSync(dir)) return [DEFAULT_TABLE];
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) return [DEFAULT_TABLE];
  return files.map((f) => {
    const t = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as TableDefinition;
    // Lower case (Glue lower-cases names); `-` allowed for the original system's "analysed-messages-table".
    if (!/^[a-z_][a-z0-9_-]*$/.test(t.name ?? '') || !Array.isArray(t.columns) || t.columns.length === 0) {
      throw new Error(`athena/tables/${f}: expected { name (lower case, _ or -), columns: [{ name, type }], description?, detailTypes? }`);
    }
    return t;
  });
}

export function loadQueries(repoRoot: string): { name: string; sql: string }[] {
  const dir = path.join(repoRoot, 'athena');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => ({ name: f.slice(0, -4), sql: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/** Every event → Firehose (dynamic partitioning) → S3 → Glue (partition projection) → Athena. */
export class AnalyticsStack extends Stack {
  readonly lake: s3.Bucket;
  readonly results: s3.Bucket;
  readonly deliveryStream: firehose.CfnDeliveryStream;
  readonly transform?: StarlingFunction;
  readonly workGroup: athena.CfnWorkGroup;
  readonly tables: glue.CfnTable[] = [];
  /** The silver tables and the state machine that fills them, when athena/silver/tables.json exists. */
  readonly silver?: SilverLayer;

  constructor(scope: Construct, id: string, props: AnalyticsStackProps) {
    super(scope, id, props);
    const { config, routes, bus, observed } = props;
    const bucketProps: s3.BucketProps = {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    };
    this.lake = new s3.Bucket(this, 'Lake', {
      ...bucketProps,
      lifecycleRules: [
        { id: 'infrequent-access', transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) }] },
        { id: 'errors', prefix: 'errors/', expiration: Duration.days(30) },
      ],
    });
    this.results = new s3.Bucket(this, 'AthenaResults', {
      ...bucketProps,
      removalPolicy: RemovalPolicy.DESTROY,
      lifecycleRules: [{ id: 'expire-results', expiration: Duration.days(30) }],
    });
    for (const b of [this.lake, this.results]) {
      Validations.of(b).acknowledge({
        id: 'AwsSolutions-S1',
        reason: 'Written only by Firehose and Athena under the app\'s roles; object-level auditing, if wanted, belongs to CloudTrail data events rather than a second log bucket.',
      });
    }

    this.transform = maybeFunction(this, 'FirehoseTransform', { config, spec: functionSpec('firehose-transform'), wiring: {}, observed });

    const firehoseLogs = new logs.LogGroup(this, 'FirehoseLogs', {
      logGroupName: `/aws/kinesisfirehose/${DELIVERY_STREAM_NAME}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const firehoseLogStream = firehoseLogs.addStream('S3Delivery', { logStreamName: 'S3Delivery' });
    const firehoseRole = new iam.Role(this, 'FirehoseRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
      description: 'Delivers Starling events to the data lake',
    });
    firehoseRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:GetObject', 's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:PutObject'],
        resources: [this.lake.bucketArn, this.lake.arnForObjects('*')],
      }),
    );
    firehoseRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:PutLogEvents'],
        resources: [this.formatArn({ service: 'logs', resource: 'log-group', resourceName: `${firehoseLogs.logGroupName}:log-stream:${firehoseLogStream.logStreamName}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    expectWildcards(firehoseRole, { ...OBJECT_KEYS, reason: 'Firehose writes objects under any key of the lake bucket (the keys are the dynamic partitions).' });

    // Partition keys: from the transform Lambda when it exists, else extracted with jq.
    const partitionKey = (k: string) => (this.transform ? `!{partitionKeyFromLambda:${k}}` : `!{partitionKeyFromQuery:${k}}`);
    const processors: firehose.CfnDeliveryStream.ProcessorProperty[] = [];
    if (this.transform) {
      firehoseRole.addToPolicy(
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'], resources: [this.transform.fn.functionArn] }),
      );
      processors.push({
        type: 'Lambda',
        parameters: [
          { parameterName: 'LambdaArn', parameterValue: this.transform.fn.functionArn },
          { parameterName: 'NumberOfRetries', parameterValue: '3' },
          { parameterName: 'BufferSizeInMBs', parameterValue: '1' },
          { parameterName: 'BufferIntervalInSeconds', parameterValue: '60' },
        ],
      });
    } else {
      processors.push({
        type: 'MetadataExtraction',
        parameters: [
          { parameterName: 'MetadataExtractionQuery', parameterValue: '{detail_type: ."detail-type", dt: .time[0:10], hour: .time[11:13]}' },
          { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
        ],
      });
      // EventBridge hands Firehose each event without a line end; the transform Lambda frames
      // each record as one line itself (starling_core::lake), so only this path appends one —
      // both would leave a blank line after every event, which the JSON SerDe reads as a NULL row.
      processors.push({ type: 'AppendDelimiterToRecord', parameters: [{ parameterName: 'Delimiter', parameterValue: '\\n' }] });
    }

    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'LakeStream', {
      deliveryStreamName: DELIVERY_STREAM_NAME,
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: this.lake.bucketArn,
        roleArn: firehoseRole.roleArn,
        prefix: `${LAKE_PREFIX}${partitionPath(partitionKey)}`,
        errorOutputPrefix: 'errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        // Dynamic partitioning needs at least 64 MiB buffers; 60 s keeps the lake fresh.
        bufferingHints: { intervalInSeconds: 60, sizeInMBs: 64 },
        compressionFormat: 'GZIP',
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
        processingConfiguration: { enabled: true, processors },
        cloudWatchLoggingOptions: { enabled: true, logGroupName: firehoseLogs.logGroupName, logStreamName: firehoseLogStream.logStreamName },
      },
    });
    // Firehose checks its role's permissions on creation: wait for the policy (the role is a GetAtt already).
    this.deliveryStream.addResourceDependency(firehoseRole.node.findChild('DefaultPolicy').node.defaultChild as CfnResource);
    observed.deliveryStreamName = DELIVERY_STREAM_NAME;

    const lakeRoute = route(routes, 'lake');
    const putRole = new iam.Role(this, 'EventsToFirehoseRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'Lets the lake rule put events into the delivery stream',
    });
    putRole.addToPolicy(new iam.PolicyStatement({ actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'], resources: [this.deliveryStream.attrArn] }));
    const dlq = new DeadLetterQueue(this, 'LakeDlq', { name: lakeRoute.name, observed });
    ruleFor(this, 'LakeRule', bus, lakeRoute).addTarget(
      new ArnTarget(this.deliveryStream.attrArn, { role: putRole, deadLetterQueue: dlq.queue, ...TARGET_RETRY }),
    );

    // Glue: the database and one table per definition, partitions projected (no crawler, no MSCK).
    const db = new glue.CfnDatabase(this, 'Database', {
      catalogId: this.account,
      databaseInput: { name: GLUE_DATABASE, description: 'Starling data lake' },
    });
    const bronze = loadTables(config.repoRoot);
    for (const def of bronze) {
      const dts = def.detailTypes ?? props.detailTypes;
      const location = `s3://${this.lake.bucketName}/${LAKE_PREFIX}`;
      const table = new glue.CfnTable(this, `Table-${def.name}`, {
        catalogId: this.account,
        databaseName: GLUE_DATABASE,
        tableInput: {
          name: def.name,
          description: def.description,
          tableType: 'EXTERNAL_TABLE',
          parameters: {
            classification: 'json',
            'compressionType': 'gzip',
            'projection.enabled': 'true',
            'projection.detail_type.type': 'enum',
            'projection.detail_type.values': dts.join(','),
            'projection.dt.type': 'date',
            'projection.dt.format': 'yyyy-MM-dd',
            'projection.dt.range': `${PROJECTION_START},NOW`,
            'projection.dt.interval': '1',
            'projection.dt.interval.unit': 'DAYS',
            'projection.hour.type': 'integer',
            'projection.hour.range': '0,23',
            'projection.hour.digits': '2',
            'storage.location.template': `${location}${partitionPath((k) => `\${${k}}`)}`,
          },
          partitionKeys: PARTITION_KEYS,
          storageDescriptor: {
            location,
            // Definitions spell struct fields as the JSON does (the local engine matches them exactly);
            // Hive is case-insensitive and the SerDe lower-cases keys, so Glue gets them lower-cased.
            columns: def.columns.map((c) => ({ name: c.name, type: c.type.toLowerCase(), comment: c.comment })),
            inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
            serdeInfo: {
              serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
              parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true' },
            },
          },
        },
      });
      table.addResourceDependency(db);
      this.tables.push(table);
    }

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: 'starling',
      description: 'Starling analysts: results encrypted, 10 GB scanned per query at most',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.results.bucketName}/${RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    for (const q of loadQueries(config.repoRoot)) {
      const nq = new athena.CfnNamedQuery(this, `Query-${q.name}`, {
        name: q.name,
        database: GLUE_DATABASE,
        workGroup: this.workGroup.name,
        description: `athena/${q.name}.sql`,
        queryString: q.sql,
      });
      nq.addResourceDependency(this.workGroup);
    }

    // Silver: athena/silver/*.sql as Parquet tables, rewritten daily by a state machine (lib/silver.ts).
    const silverTables = loadSilverTables(config.repoRoot);
    if (silverTables !== undefined) {
      if (!bronze.some((t) => t.name === 'events')) {
        throw new Error('athena/silver/tables.json: the silver SQL reads the bronze table `events`, which athena/tables/ does not define');
      }
      this.silver = new SilverLayer(this, 'Silver', {
        tables: silverTables,
        lake: this.lake,
        results: this.results,
        resultsPrefix: RESULTS_PREFIX,
        workGroupName: this.workGroup.name,
        database: db,
        databaseName: GLUE_DATABASE,
        bronzeTables: bronze.map((t) => t.name),
        projectionStart: PROJECTION_START,
      });
    }
  }
}
