import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ALERT_TOPIC_NAME } from './names';
import { expectWildcards } from './nag';

/**
 * The silver layer on AWS. The tables are defined once, as Trino SELECTs over the bronze tables in
 * athena/silver/<table>.sql (DuckDB runs the same files locally, `starling lake compact`), with
 * their columns and Hive types in athena/silver/tables.json. Here they become:
 *
 * - a Glue table per entry: Parquet (zstd) under s3://<lake>/silver/<table>/, partitioned by `dt`
 *   (projected, no partitions to register) when `partitionedByDay`;
 * - the state machine `starling-silver`, started daily at 00:30 UTC by EventBridge Scheduler (and
 *   on demand with {"day": "YYYY-MM-DD"}), which rewrites the closed day's partition of each
 *   day-partitioned table, and the whole of the others, with Athena.
 *
 * The SQL text is read here at synth time and embedded verbatim in the state machine definition.
 */
export const SILVER_DIR = path.join('athena', 'silver');
export const SILVER_TABLES_FILE = path.join(SILVER_DIR, 'tables.json');
/** Where the silver tables live in the lake bucket (bronze is under events/). */
export const SILVER_PREFIX = 'silver/';
export const SILVER_STATE_MACHINE_NAME = 'starling-silver';
/** Daily, half an hour after midnight UTC: Firehose has flushed the closed day (60 s buffers, 300 s retries). */
export const SILVER_SCHEDULE = 'cron(30 0 * * ? *)';

/**
 * Bronze days read to build day D's partition: D-1 to D+1. The silver SQL deduplicates across
 * days (a post redelivered after midnight is one post, kept on its first day) and joins a post's
 * later events (analysis, reply) to the day it arrived, so D alone would not do; reading all of
 * bronze would, at a cost growing with the lake's age. One day either side catches redeliveries
 * across midnight and the replies to posts of the evening; a day's partition can miss only what
 * happens more than a day away from it (cdk/README.md, "Silver tables").
 */
export const BRONZE_DAYS_BEFORE = 1;
export const BRONZE_DAYS_AFTER = 1;

/** Placeholders in the statements, replaced by the state machine (JSONata `$replace`). */
export const PLACEHOLDERS = { day: '@day@', from: '@from@', to: '@to@' } as const;

export interface SilverColumn {
  readonly name: string;
  /** Hive/Glue type: string, bigint, int, double, boolean, timestamp, date, array<…>. */
  readonly type: string;
  readonly comment?: string;
}

/** One entry of athena/silver/tables.json. */
export interface SilverTableDefinition {
  readonly name: string;
  readonly description?: string;
  /**
   * The SELECT's data columns in order, without `dt`: a day-partitioned table's SELECT also
   * outputs `dt` (yyyy-MM-dd), which becomes the partition (a path, not a column in the files).
   */
  readonly columns: SilverColumn[];
  readonly partitionedByDay: boolean;
}

export interface SilverTable {
  readonly def: SilverTableDefinition;
  /** athena/silver/<name>.sql, as read from disk. */
  readonly sql: string;
}

/** athena/silver/tables.json with each table's SQL; undefined when the file does not exist. */
export function loadSilverTables(repoRoot: string): SilverTable[] | undefined {
  const file = path.join(repoRoot, SILVER_TABLES_FILE);
  if (!fs.existsSync(file)) return undefined;
  const defs = JSON.parse(fs.readFileSync(file, 'utf8')) as SilverTableDefinition[];
  const shape = 'expected [{ name, description?, partitionedByDay: boolean, columns: [{ name, type, comment? }] }]';
  if (!Array.isArray(defs) || defs.length === 0) throw new Error(`${SILVER_TABLES_FILE}: ${shape}`);
  return defs.map((def) => {
    const where = `${SILVER_TABLES_FILE} (${String(def?.name)})`;
    if (!/^[a-z_][a-z0-9_]*$/.test(def?.name ?? '') || typeof def.partitionedByDay !== 'boolean' || !Array.isArray(def.columns) || def.columns.length === 0) {
      throw new Error(`${where}: ${shape}; names lower case, a-z 0-9 _`);
    }
    for (const c of def.columns) {
      if (!/^[a-z_][a-z0-9_]*$/.test(c?.name ?? '')) throw new Error(`${where}: column name ${JSON.stringify(c?.name)} is not lower case a-z 0-9 _`);
      hiveToTrino(c.type, where);
      if (c.name === 'dt') throw new Error(`${where}: dt is the partition of a day-partitioned table, not one of its columns`);
    }
    const sqlFile = path.join(repoRoot, SILVER_DIR, `${def.name}.sql`);
    if (!fs.existsSync(sqlFile)) throw new Error(`${where}: ${path.join(SILVER_DIR, `${def.name}.sql`)} does not exist`);
    const sql = fs.readFileSync(sqlFile, 'utf8');
    // The file is embedded whole in a larger statement and in a JSON definition CloudFormation substitutes.
    if (/;\s*$/.test(sql)) throw new Error(`${sqlFile}: one SELECT without a trailing ';' (it is embedded as a subquery)`);
    if (sql.includes('@')) throw new Error(`${sqlFile}: contains '@', which the state machine's placeholders (${Object.values(PLACEHOLDERS).join(', ')}) use`);
    if (sql.includes('${')) throw new Error(`${sqlFile}: contains '\${', which CloudFormation would take for a substitution`);
    return { def, sql };
  });
}

/** A Hive/Glue column type as Trino spells it in a CAST (`array<string>` → `array(varchar)`). */
export function hiveToTrino(type: string, where = 'type'): string {
  const t = String(type).trim().toLowerCase();
  const simple: Record<string, string> = {
    string: 'varchar',
    bigint: 'bigint',
    int: 'integer',
    integer: 'integer',
    smallint: 'smallint',
    tinyint: 'tinyint',
    double: 'double',
    float: 'real',
    boolean: 'boolean',
    // Hive's timestamp is Trino's timestamp(3); from_iso8601_timestamp's `with time zone` cannot be
    // written to Parquet through Athena, hence the CAST (the value is UTC, so nothing shifts).
    timestamp: 'timestamp(3)',
    date: 'date',
  };
  if (t in simple) return simple[t];
  const array = /^array<(.+)>$/.exec(t);
  if (array) return `array(${hiveToTrino(array[1], where)})`;
  throw new Error(`${where}: unsupported column type ${JSON.stringify(type)} (${Object.keys(simple).join(', ')} or array<…>)`);
}

/** The table's location below the bucket root, and the prefix a run clears (with `@day@`). */
export function silverPrefix(def: SilverTableDefinition): { table: string; run: string } {
  const table = `${SILVER_PREFIX}${def.name}/`;
  return { table, run: def.partitionedByDay ? `${table}dt=${PLACEHOLDERS.day}/` : table };
}

/**
 * The statement that writes one run of `table` to `s3://<bucket>/<prefix>`: an Athena UNLOAD of
 * the silver SELECT, verbatim, its columns cast to the Glue table's types. A day-partitioned table
 * selects the day's rows (`dt = '@day@'`) from bronze read only from `@from@` to `@to@`: a WITH
 * named `events` shadows the bronze table of that name for the SELECT inside it.
 */
export function silverStatement(t: SilverTable, database: string, bucket: string): string {
  const q = (id: string) => `"${id}"`;
  const columns = t.def.columns.map((c) => `CAST(${q(c.name)} AS ${hiveToTrino(c.type)}) AS ${q(c.name)}`).join(',\n       ');
  // Newlines around the file: it may end with a -- comment.
  const source = t.def.partitionedByDay
    ? `(WITH events AS (SELECT * FROM ${q(database)}.${q('events')} WHERE dt BETWEEN '${PLACEHOLDERS.from}' AND '${PLACEHOLDERS.to}')\n` +
      `SELECT * FROM (\n${t.sql}\n) silver\nWHERE dt = '${PLACEHOLDERS.day}') selected`
    : `(\n${t.sql}\n) silver`;
  return (
    `UNLOAD (SELECT ${columns}\nFROM ${source})\n` +
    `TO 's3://${bucket}/${silverPrefix(t.def).run}'\n` +
    "WITH (format = 'PARQUET', compression = 'ZSTD')"
  );
}

export interface SilverLayerProps {
  readonly tables: SilverTable[];
  readonly lake: s3.IBucket;
  readonly results: s3.IBucket;
  /** Where the workgroup writes query results and manifests (below `results`). */
  readonly resultsPrefix: string;
  readonly workGroupName: string;
  readonly database: glue.CfnDatabase;
  readonly databaseName: string;
  /** The bronze tables the silver SQL may read (Glue read access is granted on these alone). */
  readonly bronzeTables: string[];
  /** The first day a partition can exist (partition projection's range starts here). */
  readonly projectionStart: string;
}

/** The silver Glue tables, the state machine that fills them and its daily schedule. */
export class SilverLayer extends Construct {
  readonly tables: glue.CfnTable[] = [];
  readonly stateMachine: sfn.StateMachine;
  readonly definition: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: SilverLayerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { lake, results, databaseName } = props;

    for (const { def } of props.tables) {
      const location = `s3://${lake.bucketName}/${silverPrefix(def).table}`;
      const projection: Record<string, string> = def.partitionedByDay
        ? {
            'projection.enabled': 'true',
            'projection.dt.type': 'date',
            'projection.dt.format': 'yyyy-MM-dd',
            'projection.dt.range': `${props.projectionStart},NOW`,
            'projection.dt.interval': '1',
            'projection.dt.interval.unit': 'DAYS',
            'storage.location.template': `${location}dt=\${dt}/`,
          }
        : {};
      const table = new glue.CfnTable(this, `Table-${def.name}`, {
        catalogId: stack.account,
        databaseName,
        tableInput: {
          name: def.name,
          description: def.description,
          tableType: 'EXTERNAL_TABLE',
          parameters: { classification: 'parquet', 'parquet.compression': 'ZSTD', ...projection },
          partitionKeys: def.partitionedByDay ? [{ name: 'dt', type: 'string', comment: 'UTC day, yyyy-MM-dd' }] : undefined,
          storageDescriptor: {
            location,
            columns: def.columns.map((c) => ({ name: c.name, type: c.type.toLowerCase(), comment: c.comment })),
            inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
            serdeInfo: {
              serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
              parameters: { 'serialization.format': '1' },
            },
          },
        },
      });
      table.addResourceDependency(props.database);
      this.tables.push(table);
    }

    this.definition = silverDefinition(props.tables, databaseName, props.workGroupName);

    const smLogs = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${SILVER_STATE_MACHINE_NAME}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `Role of the ${SILVER_STATE_MACHINE_NAME} state machine: Athena in its workgroup, bronze read, silver written`,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: SILVER_STATE_MACHINE_NAME,
      // STANDARD: Athena's .sync integration (run a query to completion) is not available to EXPRESS.
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(this.definition, null, 1)),
      definitionSubstitutions: { LakeBucket: lake.bucketName },
      logs: { destination: smLogs, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
      role,
    });

    // Athena runs the queries as this role: the workgroup, and what the queries read and write.
    const workGroupArn = stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroupName });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'],
        resources: [workGroupArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['athena:GetDataCatalog'],
        resources: [stack.formatArn({ service: 'athena', resource: 'datacatalog', resourceName: 'AwsDataCatalog' })],
      }),
    );
    // Read-only Glue: the queries read bronze table definitions; UNLOAD writes no metadata and the
    // silver partitions are projected, so nothing is ever registered.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: databaseName }),
          ...props.bronzeTables.map((t) => stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${databaseName}/${t}` })),
        ],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [lake.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['events/*', `${SILVER_PREFIX}*`] } },
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
        resources: [lake.bucketArn, results.bucketArn],
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [results.bucketArn] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [lake.arnForObjects('events/*')] }));
    // The silver prefix: cleared by the state machine (ListObjectsV2, DeleteObject), written by UNLOAD.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [lake.arnForObjects(`${SILVER_PREFIX}*`)],
      }),
    );
    // Query results, manifests and UNLOAD metadata.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [results.arnForObjects(`${props.resultsPrefix}*`)],
      }),
    );
    expectWildcards(
      role,
      {
        finding: /^AwsSolutions-IAM5\[Resource::<\w+\.Arn>\/(events|silver|results)\/\*\]$/,
        reason: 'Object keys under one prefix of one bucket: bronze read (events/), silver cleared and written (silver/), Athena results (results/); Athena names the files at run time.',
      },
      {
        finding: /^AwsSolutions-IAM5\[Resource::\*\]$/,
        reason: 'Step Functions log delivery (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) have no resource-level permissions.',
      },
    );

    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `EventBridge Scheduler: start ${SILVER_STATE_MACHINE_NAME} daily`,
    });
    scheduleRole.addToPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] }));
    new scheduler.CfnSchedule(this, 'Schedule', {
      name: SILVER_STATE_MACHINE_NAME,
      description: 'Rewrites yesterday\'s (UTC) silver partitions and the unpartitioned silver tables',
      scheduleExpression: SILVER_SCHEDULE,
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      // No day: the state machine takes the day before the execution's start (UTC).
      target: {
        arn: this.stateMachine.stateMachineArn,
        roleArn: scheduleRole.roleArn,
        input: '{}',
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
      },
    });

    // A failed or timed-out run leaves a day unwritten (or half written) until it is re-run: alert.
    const metric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/States',
        metricName,
        dimensionsMap: { StateMachineArn: this.stateMachine.stateMachineArn },
        statistic: 'Sum',
        period: Duration.hours(1),
      });
    const alarm = new cloudwatch.Alarm(this, 'FailedAlarm', {
      alarmName: `${SILVER_STATE_MACHINE_NAME}-failed`,
      alarmDescription: `A ${SILVER_STATE_MACHINE_NAME} run failed or timed out: start its day again (cdk/README.md, "Silver tables").`,
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: { failed: metric('ExecutionsFailed'), timedOut: metric('ExecutionsTimedOut') },
        period: Duration.hours(1),
        label: 'silver runs failed or timed out',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(
      new cwActions.SnsAction(sns.Topic.fromTopicArn(this, 'AlertTopic', stack.formatArn({ service: 'sns', resource: ALERT_TOPIC_NAME, arnFormat: ArnFormat.NO_RESOURCE_NAME }))),
    );
  }
}

const date = (expr: string) => `$fromMillis(${expr}, '[Y0001]-[M01]-[D01]')`;
const millis = (day: string) => `$toMillis(${day} & 'T00:00:00Z')`;
const DAY_MS = 86_400_000;
/** Retries for the S3 calls that clear a prefix (idempotent: listing and deleting again is harmless). */
const S3_RETRY = [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 2 }];

/**
 * The state machine (ASL, JSONata). For day D (the input's `day`, else the day before the
 * execution started, UTC; a closed day, or the run fails before touching anything), each table in
 * parallel:
 *
 * 1. clear its prefix — the day's partition `silver/<table>/dt=D/`, or the whole table — by listing
 *    and deleting until nothing is left;
 * 2. Athena UNLOAD of the table's SELECT (the day's rows) as Parquet into that prefix.
 *
 * Idempotent by construction: a run replaces exactly what the same run would write, so re-running a
 * day (after a failure, or after late events reached bronze) never duplicates rows. Clearing first
 * is required, not a choice: neither UNLOAD nor CTAS writes into a non-empty location, and INSERT
 * INTO only appends. UNLOAD rather than INSERT INTO: it writes no Glue metadata (the partitions are
 * projected), so the role needs no Glue write access, and a non-empty prefix (a concurrent run of
 * the same day) makes it fail rather than add a second copy.
 */
export function silverDefinition(tables: SilverTable[], database: string, workGroup: string): Record<string, unknown> {
  const bucket = '${LakeBucket}';
  const fill = (s: string) =>
    `$replace($replace($replace(${s}, '${PLACEHOLDERS.day}', $day), '${PLACEHOLDERS.from}', $from), '${PLACEHOLDERS.to}', $to)`;
  const validDay =
    "$type($day) = 'string' ? ($contains($day, /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/) ? " +
    `(${date(millis('$day'))} = $day and $day < $today) : false) : false`;
  return {
    Comment:
      'The silver layer (athena/silver/*.sql): for a closed UTC day, clear and rewrite each day-partitioned table\'s partition, and each other table whole, with Athena UNLOAD. Input {"day": "YYYY-MM-DD"}, or {} for yesterday.',
    QueryLanguage: 'JSONata',
    // Here, not the construct's `timeout`, which a definition given as a string does not get.
    TimeoutSeconds: 7200,
    StartAt: 'Day',
    States: {
      Day: {
        Type: 'Pass',
        Assign: {
          day: `{% $exists($states.input.day) ? $states.input.day : ${date(`$toMillis($states.context.Execution.StartTime) - ${DAY_MS}`)} %}`,
          today: '{% $substring($states.context.Execution.StartTime, 0, 10) %}',
        },
        Next: 'IsClosedDay',
      },
      IsClosedDay: {
        Type: 'Choice',
        Choices: [{ Condition: `{% ${validDay} %}`, Next: 'BronzeWindow' }],
        Default: 'NotAClosedDay',
      },
      NotAClosedDay: {
        Type: 'Fail',
        Error: 'Silver.NotAClosedDay',
        Cause: 'day must be a date YYYY-MM-DD before today (UTC): only a closed day is complete in bronze',
      },
      BronzeWindow: {
        Type: 'Pass',
        Assign: {
          from: `{% ${date(`${millis('$day')} - ${BRONZE_DAYS_BEFORE * DAY_MS}`)} %}`,
          to: `{% ${date(`${millis('$day')} + ${BRONZE_DAYS_AFTER * DAY_MS}`)} %}`,
        },
        Next: 'Tables',
      },
      Tables: {
        Type: 'Map',
        Items: tables.map((t) => ({ table: t.def.name, prefix: silverPrefix(t.def).run, statement: silverStatement(t, database, bucket) })),
        MaxConcurrency: tables.length,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Job',
          States: {
            Job: {
              Type: 'Pass',
              Assign: { job: '{% $states.input %}', prefix: `{% $replace($states.input.prefix, '${PLACEHOLDERS.day}', $day) %}` },
              Next: 'List',
            },
            List: {
              Type: 'Task',
              Resource: 'arn:aws:states:::aws-sdk:s3:listObjectsV2',
              Arguments: { Bucket: bucket, Prefix: '{% $prefix %}', MaxKeys: 1000 },
              Retry: S3_RETRY,
              Next: 'AnyLeft',
            },
            AnyLeft: {
              Type: 'Choice',
              Choices: [{ Condition: '{% $states.input.KeyCount > 0 %}', Next: 'Delete' }],
              Default: 'Unload',
            },
            Delete: {
              Type: 'Map',
              Items: '{% $states.input.Contents %}',
              MaxConcurrency: 10,
              ItemProcessor: {
                ProcessorConfig: { Mode: 'INLINE' },
                StartAt: 'DeleteObject',
                States: {
                  DeleteObject: {
                    Type: 'Task',
                    Resource: 'arn:aws:states:::aws-sdk:s3:deleteObject',
                    Arguments: { Bucket: bucket, Key: '{% $states.input.Key %}' },
                    Retry: S3_RETRY,
                    End: true,
                  },
                },
              },
              Output: '{% {} %}',
              // Listed again from the start until the prefix is empty (also catches a page past 1000 keys).
              Next: 'List',
            },
            Unload: {
              Type: 'Task',
              Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
              Arguments: {
                QueryString: `{% ${fill('$job.statement')} %}`,
                WorkGroup: workGroup,
                QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: database },
              },
              Retry: [{ ErrorEquals: ['Athena.TooManyRequestsException'], IntervalSeconds: 10, MaxAttempts: 5, BackoffRate: 2 }],
              Output: `{% {'table': $job.table, 'prefix': $prefix, 'queryExecutionId': $states.result.QueryExecution.QueryExecutionId, 'bytesScanned': $states.result.QueryExecution.Statistics.DataScannedInBytes} %}`,
              End: true,
            },
          },
        },
        // One retry of every table after a failure (a transient Athena or S3 error): each clears
        // its prefix first, so a half-written partition is replaced, not added to.
        Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 60, MaxAttempts: 1 }],
        Output: "{% {'day': $day, 'bronze': [$from, $to], 'tables': $states.result} %}",
        End: true,
      },
    },
  };
}
