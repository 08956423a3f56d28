import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig, type StarlingConfig } from './config';
import { Observed } from './observability';
import { acknowledgeExpectedWildcards } from './nag';
import { loadRoutes, type RouteTable } from './routes';
import { AlertingStack } from './stacks/alerting';
import { AnalysisStack } from './stacks/analysis';
import { AnalyticsStack } from './stacks/analytics';
import { EgressStack } from './stacks/egress';
import { IngressStack } from './stacks/ingress';
import { PlumbingStack } from './stacks/plumbing';
import { RespondingStack } from './stacks/responding';

export interface StarlingStacks {
  readonly config: StarlingConfig;
  readonly routes: RouteTable;
  readonly plumbing: PlumbingStack;
  readonly ingress: IngressStack;
  readonly analysis: AnalysisStack;
  readonly alerting: AlertingStack;
  readonly responding: RespondingStack;
  readonly egress: EgressStack;
  readonly analytics: AnalyticsStack;
}

/** Builds the seven stacks on `app`, wired by props, with cdk-nag's AwsSolutions pack over all. */
export function buildApp(app: App): StarlingStacks {
  const config = readConfig(app.node);
  const routes = loadRoutes(config.repoRoot);
  const observed = new Observed();
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const common = { env, config, routes, observed };

  const plumbing = new PlumbingStack(app, 'Plumbing', { env, config, routes, description: 'Starling: the Plumbing event bus, archive, event log, dashboard and alarms' });
  const bus = plumbing.bus;
  const ingress = new IngressStack(app, 'Ingress', { ...common, bus, description: 'Starling: the X webhook endpoint and the ingress Lambda' });
  const analysis = new AnalysisStack(app, 'Analysis', { ...common, bus, description: 'Starling: the analyse-message state machine, its Lambdas and the media bucket' });
  const alerting = new AlertingStack(app, 'Alerting', { ...common, bus, description: 'Starling: the alert topic and the alert Lambda' });
  const responding = new RespondingStack(app, 'Responding', { ...common, bus, mediaBucket: analysis.mediaBucketRef, description: 'Starling: the Lex bot and the reply Lambdas' });
  const egress = new EgressStack(app, 'Egress', { ...common, bus, mediaBucket: analysis.mediaBucketRef, description: 'Starling: the egress Lambda and its idempotency store' });
  const analytics = new AnalyticsStack(app, 'Analytics', { ...common, bus, detailTypes: plumbing.detailTypes, description: 'Starling: Firehose, the data lake, Glue and Athena' });

  // The media bucket is imported by export name (see AnalysisStack.mediaBucketRef): order by hand.
  responding.addStackDependency(analysis, 'imports the media bucket');
  egress.addStackDependency(analysis, 'imports the media bucket');
  plumbing.addDashboardAndAlarms(observed);
  acknowledgeExpectedWildcards(app);
  Tags.of(app).add('app', 'starling');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }));
  return { config, routes, plumbing, ingress, analysis, alerting, responding, egress, analytics };
}
