import * as iam from 'aws-cdk-lib/aws-iam';
import type * as events from 'aws-cdk-lib/aws-events';

/** The `source` each publisher puts events with (crates/contracts `source`). */
export const EVENT_SOURCES = {
  twitter: 'starling.twitter',
  analysis: 'starling.analysis',
  responding: 'starling.responding',
  egress: 'starling.egress',
} as const;

/**
 * Lets `grantee` put events on `bus` only with `source` (the `events:source` condition key): a
 * compromised or buggy function cannot forge another service's events — ingress cannot put a
 * SEND_TWEET, a reply Lambda cannot put a MESSAGE_RECEIVED.
 */
export function grantPutEventsAs(bus: events.IEventBus, grantee: iam.IGrantable, source: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
      conditions: { StringEquals: { 'events:source': source } },
    }),
  );
}

/**
 * The only actions allowed on `Resource: "*"` in an identity policy, each with why: the services
 * have no resource-level permissions for them. The tests fail on any other `*` resource, and every
 * one of these carries a cdk-nag acknowledgment with the same reason.
 */
export const STAR_RESOURCE_ACTIONS: Record<string, string> = {
  'rekognition:DetectLabels': 'Rekognition image operations have no resource-level permissions',
  'rekognition:RecognizeCelebrities': 'Rekognition image operations have no resource-level permissions',
  'rekognition:DetectText': 'Rekognition image operations have no resource-level permissions',
  'rekognition:DetectModerationLabels': 'Rekognition image operations have no resource-level permissions (the moderation gate)',
  'comprehend:DetectDominantLanguage': 'Comprehend real-time detection has no resource-level permissions',
  'comprehend:DetectSentiment': 'Comprehend real-time detection has no resource-level permissions',
  'comprehend:DetectEntities': 'Comprehend real-time detection has no resource-level permissions',
  'comprehend:DetectKeyPhrases': 'Comprehend real-time detection has no resource-level permissions',
  'comprehend:DetectToxicContent': 'Comprehend real-time detection has no resource-level permissions (the moderation gate)',
  'xray:PutTraceSegments': 'X-Ray has no resource-level permissions (state machine tracing)',
  'xray:PutTelemetryRecords': 'X-Ray has no resource-level permissions (state machine tracing)',
  'xray:GetSamplingRules': 'X-Ray has no resource-level permissions (state machine tracing)',
  'xray:GetSamplingTargets': 'X-Ray has no resource-level permissions (state machine tracing)',
  'logs:CreateLogDelivery': 'CloudWatch Logs vended-log delivery (state machine logging) has no resource-level permissions',
  'logs:GetLogDelivery': 'CloudWatch Logs vended-log delivery (state machine logging) has no resource-level permissions',
  'logs:UpdateLogDelivery': 'CloudWatch Logs vended-log delivery (state machine logging) has no resource-level permissions',
  'logs:DeleteLogDelivery': 'CloudWatch Logs vended-log delivery (state machine logging) has no resource-level permissions',
  'logs:ListLogDeliveries': 'CloudWatch Logs vended-log delivery (state machine logging) has no resource-level permissions',
  'logs:PutResourcePolicy': 'CloudWatch Logs vended-log delivery (state machine logging) has no resource-level permissions',
  'logs:DescribeResourcePolicies': 'CloudWatch Logs vended-log delivery (state machine logging) has no resource-level permissions',
  'logs:DescribeLogGroups': 'CloudWatch Logs vended-log delivery (state machine logging) has no resource-level permissions',
};
