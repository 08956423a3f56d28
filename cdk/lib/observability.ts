/**
 * What the Plumbing dashboard and alarms watch, collected while the other stacks are built.
 * Only deployed names (plain strings) are recorded, never tokens: Plumbing deploys first and every
 * other stack references its bus, so Plumbing must not reference them back.
 */
export class Observed {
  readonly dlqs: { readonly label: string; readonly queueName: string }[] = [];
  readonly functions: { readonly label: string; readonly functionName: string }[] = [];
  stateMachineName?: string;
  deliveryStreamName?: string;

  addDlq(label: string, queueName: string): void {
    this.dlqs.push({ label, queueName });
  }

  addFunction(label: string, functionName: string): void {
    this.functions.push({ label, functionName });
  }
}
