/** Deployed names shared between stacks without cross-stack references. */
export const ALERT_TOPIC_NAME = 'starling-alerts';
export const STATE_MACHINE_NAME = 'analyse-message';
export const DELIVERY_STREAM_NAME = 'starling-lake';
/** EventBridge only delivers to log groups whose name starts with /aws/events/. */
export const EVENTS_LOG_GROUP_PREFIX = '/aws/events/';
/** CloudWatch namespace of the per-detail-type event counts (one metric filter each). */
export const EVENTS_NAMESPACE = 'Starling/Events';
