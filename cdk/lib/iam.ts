/**
 * The only actions allowed on `Resource: "*"` in an identity policy, each with why: the services
 * have no resource-level permissions for them. The tests fail on any other `*` resource, and every
 * one of these carries a cdk-nag acknowledgment with the same reason.
 */
export const STAR_RESOURCE_ACTIONS: Record<string, string> = {
  'rekognition:DetectLabels': 'Rekognition image operations have no resource-level permissions',
  'rekognition:DetectFaces': 'Rekognition image operations have no resource-level permissions',
  'rekognition:RecognizeCelebrities': 'Rekognition image operations have no resource-level permissions',
  'rekognition:DetectText': 'Rekognition image operations have no resource-level permissions',
  'comprehend:DetectDominantLanguage': 'Comprehend real-time detection has no resource-level permissions',
  'comprehend:DetectSentiment': 'Comprehend real-time detection has no resource-level permissions',
  'comprehend:DetectEntities': 'Comprehend real-time detection has no resource-level permissions',
  'comprehend:DetectKeyPhrases': 'Comprehend real-time detection has no resource-level permissions',
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
