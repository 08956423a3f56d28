import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Node } from 'constructs';

/**
 * Everything the app reads from CDK context (`-c key=value` or cdk.json), parsed once.
 *
 * | key                     | default          | meaning                                                     |
 * |-------------------------|------------------|-------------------------------------------------------------|
 * | twitterAccountId        | (required)       | the bot's X user id (BOT_USER_ID), digits only              |
 * | twitterSecretName       | TwitterSecret    | Secrets Manager secret with the X credentials (referenced)  |
 * | architecture            | arm64            | arm64 or x86_64, for every Lambda                           |
 * | skipBundling            | false            | true: placeholder assets instead of running cargo-lambda    |
 * | archiveRetentionDays    | 7                | event archive retention (replay window)                     |
 * | alertEmails             | (none)           | comma-separated e-mail addresses subscribed to alerts       |
 * | reservedConcurrency     | true             | false: no reserved concurrency (accounts with a limit of 10)|
 * | repoRoot                | ../ from cdk/    | the Rust workspace (Cargo.toml, lambdas/, schemas/, …)      |
 * | replyPolicy             | {}               | the reply policy document (JSON; README "Reply policy")     |
 * | dryRun                  | false            | true: replies are composed and recorded, never posted on X  |
 * | mentionsSource          | webhook          | webhook, poll or both: how mentions arrive (README)         |
 * | pollSchedule            | rate(1 minute)   | EventBridge Scheduler expression of the mentions poller     |
 * | searchQuery             | (none)           | an X search (e.g. `#starling -is:retweet`) polled for the   |
 * |                         |                  | lake: its posts are analysed, never replied to (README)     |
 * | searchSchedule          | rate(5 minutes)  | EventBridge Scheduler expression of the search poll         |
 */
export interface StarlingConfig {
  readonly twitterAccountId: string;
  readonly twitterSecretName: string;
  readonly architecture: lambda.Architecture;
  readonly skipBundling: boolean;
  readonly archiveRetention: Duration;
  readonly alertEmails: string[];
  readonly reservedConcurrency: boolean;
  readonly repoRoot: string;
  /** The reply policy document, as the reply Lambdas read it from REPLY_POLICY. */
  readonly replyPolicy: string;
  readonly dryRun: boolean;
  /** How mentions arrive: X's webhook, the scheduled mentions poller, or both. */
  readonly mentionsSource: 'webhook' | 'poll' | 'both';
  /** The poller's schedule (EventBridge Scheduler `rate(...)` or `cron(...)`). */
  readonly pollSchedule: string;
  /** A keyword search the poller reads on its own schedule (analytics only), if any. */
  readonly searchQuery?: string;
  /** The search poll's schedule. */
  readonly searchSchedule: string;
}

export const DEFAULT_REPO_ROOT = path.resolve(__dirname, '..', '..');

function str(node: Node, key: string): string | undefined {
  const v: unknown = node.tryGetContext(key);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(String).join(',');
  throw new Error(`context ${key}: expected a string, got ${JSON.stringify(v)}`);
}

function bool(node: Node, key: string, dflt: boolean): boolean {
  const v = str(node, key);
  if (v === undefined) return dflt;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new Error(`context ${key}: expected true or false, got ${v}`);
}

export function readConfig(node: Node): StarlingConfig {
  const twitterAccountId = str(node, 'twitterAccountId');
  if (twitterAccountId === undefined) {
    throw new Error(
      'context twitterAccountId is required: the bot\'s X user id, e.g. `cdk deploy --all -c twitterAccountId=1234567890`',
    );
  }
  if (!/^[0-9]{1,19}$/.test(twitterAccountId)) {
    throw new Error(`context twitterAccountId: an X user id is 1-19 digits, got ${twitterAccountId}`);
  }
  const arch = (str(node, 'architecture') ?? 'arm64').toLowerCase();
  let architecture: lambda.Architecture;
  if (arch === 'arm64') architecture = lambda.Architecture.ARM_64;
  else if (arch === 'x86_64' || arch === 'x86-64' || arch === 'amd64') architecture = lambda.Architecture.X86_64;
  else throw new Error(`context architecture: arm64 or x86_64, got ${arch}`);

  const days = Number(str(node, 'archiveRetentionDays') ?? '7');
  if (!Number.isInteger(days) || days < 1) {
    throw new Error(`context archiveRetentionDays: a positive whole number of days, got ${days}`);
  }
  const alertEmails = (str(node, 'alertEmails') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const e of alertEmails) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e)) throw new Error(`context alertEmails: not an e-mail address: ${e}`);
  }
  const repoRoot = path.resolve(str(node, 'repoRoot') ?? DEFAULT_REPO_ROOT);
  if (!fs.existsSync(path.join(repoRoot, 'Cargo.toml'))) {
    throw new Error(`context repoRoot: ${repoRoot} has no Cargo.toml (the Rust workspace)`);
  }
  const replyPolicy = str(node, 'replyPolicy') ?? '{}';
  try {
    const parsed: unknown = JSON.parse(replyPolicy);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
  } catch (e) {
    throw new Error(`context replyPolicy: a JSON object (README "Reply policy"), got ${replyPolicy}: ${String(e)}`);
  }
  const source = (str(node, 'mentionsSource') ?? 'webhook').toLowerCase();
  if (source !== 'webhook' && source !== 'poll' && source !== 'both') {
    throw new Error(`context mentionsSource: webhook, poll or both, got ${source}`);
  }
  const mentionsSource: 'webhook' | 'poll' | 'both' = source;
  const schedule = (key: string, dflt: string) => {
    const expr = str(node, key) ?? dflt;
    if (!/^(rate|cron)\(.+\)$/.test(expr)) {
      throw new Error(`context ${key}: an EventBridge Scheduler rate(...) or cron(...) expression, got ${expr}`);
    }
    return expr;
  };
  const pollSchedule = schedule('pollSchedule', 'rate(1 minute)');
  const searchSchedule = schedule('searchSchedule', 'rate(5 minutes)');
  const searchQuery = str(node, 'searchQuery');
  // X's limit for a recent-search query (docs.x.com: 512 characters on self-serve tiers).
  if (searchQuery !== undefined && searchQuery.length > 512) {
    throw new Error(`context searchQuery: at most 512 characters (X's limit), got ${searchQuery.length}`);
  }
  return {
    twitterAccountId,
    twitterSecretName: str(node, 'twitterSecretName') ?? 'TwitterSecret',
    architecture,
    skipBundling: bool(node, 'skipBundling', false),
    archiveRetention: Duration.days(days),
    alertEmails,
    reservedConcurrency: bool(node, 'reservedConcurrency', true),
    repoRoot,
    replyPolicy,
    dryRun: bool(node, 'dryRun', false),
    mentionsSource,
    pollSchedule,
    searchQuery,
    searchSchedule,
  };
}
