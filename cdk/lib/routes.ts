import * as fs from 'node:fs';
import * as path from 'node:path';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

/** One row of `schemas/routes.json`: the single source of every EventBridge rule. */
export interface Route {
  readonly name: string;
  readonly description: string;
  readonly pattern: Record<string, unknown>;
  readonly target: { readonly kind: 'log-group' | 'state-machine' | 'lambda' | 'firehose'; readonly name: string };
}

export interface RouteTable {
  readonly bus: string;
  readonly routes: Route[];
}

export function loadRoutes(repoRoot: string): RouteTable {
  const file = path.join(repoRoot, 'schemas', 'routes.json');
  const table = JSON.parse(fs.readFileSync(file, 'utf8')) as RouteTable;
  if (typeof table.bus !== 'string' || !Array.isArray(table.routes)) {
    throw new Error(`${file}: expected { bus, routes: [...] }`);
  }
  const seen = new Set<string>();
  for (const r of table.routes) {
    if (seen.has(r.name)) throw new Error(`${file}: route ${r.name} appears twice`);
    seen.add(r.name);
  }
  return table;
}

export function route(table: RouteTable, name: string): Route {
  const r = table.routes.find((x) => x.name === name);
  if (r === undefined) throw new Error(`schemas/routes.json has no route named ${name}`);
  return r;
}

/** The keys of an EventBridge pattern and their names in CDK's `EventPattern`. */
const PATTERN_KEYS: Record<string, keyof events.EventPattern> = {
  version: 'version',
  id: 'id',
  'detail-type': 'detailType',
  source: 'source',
  account: 'account',
  time: 'time',
  region: 'region',
  resources: 'resources',
  detail: 'detail',
};

/** Translates a routes.json pattern, key for key, into CDK's `EventPattern` (which renders it back verbatim). */
export function toEventPattern(pattern: Record<string, unknown>): events.EventPattern {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(pattern)) {
    const cdkKey = PATTERN_KEYS[k];
    if (cdkKey === undefined) throw new Error(`event pattern key ${k} is not an EventBridge envelope field`);
    out[cdkKey] = v;
  }
  return out as events.EventPattern;
}

/** The rule for one route, on the given bus, named after the route. */
export function ruleFor(scope: Construct, id: string, bus: events.IEventBus, r: Route): events.Rule {
  return new events.Rule(scope, id, {
    eventBus: bus,
    ruleName: r.name,
    description: r.description,
    eventPattern: toEventPattern(r.pattern),
  });
}
