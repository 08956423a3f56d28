import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type StarlingStacks } from '../lib/app';
import { DEFAULT_REPO_ROOT } from '../lib/config';
import { FUNCTIONS } from '../lib/functions';

export const CDK_JSON_CONTEXT = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
export const ACCOUNT_ID = '1234567890';

export interface Synthesized {
  readonly stacks: StarlingStacks;
  readonly templates: Record<string, Template>;
  readonly outdir: string;
  readonly repoRoot: string;
}

/** Test assemblies go to cdk.out.test/<name>, where cdk/test.sh runs cfn-lint over them too. */
export const TEST_OUT = path.join(__dirname, '..', 'cdk.out.test');

export function synth(name: string, repoRoot: string, context: Record<string, unknown> = {}): Synthesized {
  const outdir = path.join(TEST_OUT, name);
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.mkdirSync(outdir, { recursive: true });
  const app = new App({
    outdir,
    context: { ...CDK_JSON_CONTEXT, skipBundling: 'true', twitterAccountId: ACCOUNT_ID, repoRoot, ...context },
  });
  const stacks = buildApp(app);
  app.synth();
  const templates: Record<string, Template> = {};
  for (const s of [stacks.plumbing, stacks.ingress, stacks.analysis, stacks.alerting, stacks.responding, stacks.egress, stacks.analytics]) {
    templates[s.stackName] = Template.fromJSON(JSON.parse(fs.readFileSync(path.join(outdir, s.templateFile), 'utf8')));
  }
  return { stacks, templates, outdir, repoRoot };
}

/**
 * A copy of the workspace as it will be once every Lambda, the state machine and the table
 * definitions exist: the real Cargo.toml, schemas/ and bot/, plus stub crates and fixtures.
 */
/** A workspace with only the ingress Lambda, no state machine and no table definitions: how the
 *  app degrades while crates are still missing (independent of how far the repository has got). */
export function ingressOnlyWorkspace(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-ws-'));
  fs.copyFileSync(path.join(DEFAULT_REPO_ROOT, 'Cargo.toml'), path.join(root, 'Cargo.toml'));
  fs.cpSync(path.join(DEFAULT_REPO_ROOT, 'schemas'), path.join(root, 'schemas'), { recursive: true });
  fs.cpSync(path.join(DEFAULT_REPO_ROOT, 'bot'), path.join(root, 'bot'), { recursive: true });
  fs.mkdirSync(path.join(root, 'lambdas', 'ingress'), { recursive: true });
  fs.writeFileSync(path.join(root, 'lambdas', 'ingress', 'Cargo.toml'), '[package]\nname = "ingress"\n');
  return root;
}

export function completeWorkspace(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-ws-'));
  fs.copyFileSync(path.join(DEFAULT_REPO_ROOT, 'Cargo.toml'), path.join(root, 'Cargo.toml'));
  fs.cpSync(path.join(DEFAULT_REPO_ROOT, 'schemas'), path.join(root, 'schemas'), { recursive: true });
  fs.cpSync(path.join(DEFAULT_REPO_ROOT, 'bot'), path.join(root, 'bot'), { recursive: true });
  for (const f of FUNCTIONS) {
    fs.mkdirSync(path.join(root, 'lambdas', f.crate), { recursive: true });
    fs.writeFileSync(path.join(root, 'lambdas', f.crate, 'Cargo.toml'), `[package]\nname = "${f.crate}"\n`);
  }
  const fx = path.join(__dirname, 'fixtures');
  fs.mkdirSync(path.join(root, 'statemachines'));
  // The real definition once it exists in the workspace, else a fixture of the same shape.
  const realAsl = path.join(DEFAULT_REPO_ROOT, 'statemachines', 'analyse-message.asl.json');
  fs.copyFileSync(fs.existsSync(realAsl) ? realAsl : path.join(fx, 'analyse-message.asl.json'), path.join(root, 'statemachines', 'analyse-message.asl.json'));
  fs.mkdirSync(path.join(root, 'athena', 'tables'), { recursive: true });
  fs.copyFileSync(path.join(fx, 'events.table.json'), path.join(root, 'athena', 'tables', 'messages_analysed.json'));
  fs.copyFileSync(path.join(fx, 'sentiment.sql'), path.join(root, 'athena', 'sentiment.sql'));
  // The real table definitions and queries too, once they exist, so they are synthesized and linted.
  const athena = path.join(DEFAULT_REPO_ROOT, 'athena');
  if (fs.existsSync(athena)) fs.cpSync(athena, path.join(root, 'athena'), { recursive: true, force: false, errorOnExist: false });
  return root;
}

/** Every resource of a type across the templates, with its stack. */
export function resources(s: Synthesized, type: string): { stack: string; id: string; props: Record<string, any> }[] {
  const out: { stack: string; id: string; props: Record<string, any> }[] = [];
  for (const [stack, t] of Object.entries(s.templates)) {
    for (const [id, r] of Object.entries(t.findResources(type))) out.push({ stack, id, props: (r as any).Properties ?? {} });
  }
  return out;
}

/** The cdk-nag report written by the validation plugin. */
export function nagViolations(s: Synthesized): unknown[] {
  const file = path.join(s.outdir, 'validation-report.json');
  if (!fs.existsSync(file)) return [];
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as { pluginReports: { pluginName: string; violations?: unknown[] }[] };
  return report.pluginReports.flatMap((r) => r.violations ?? []);
}
