import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
// cdk-nag's own rendering of a resource in an IAM5 finding, so the acknowledgments below match it exactly.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/** A wildcard a role is expected to hold: the finding it yields (a regexp) and why it is needed. */
export interface ExpectedWildcard {
  readonly finding: RegExp;
  readonly reason: string;
}

const expected = new WeakMap<IConstruct, ExpectedWildcard[]>();

/** Declares wildcards a role is allowed to hold; acknowledged one finding at a time, with the reason. */
export function expectWildcards(role: iam.IRole, ...wildcards: ExpectedWildcard[]): void {
  expected.set(role, [...(expected.get(role) ?? []), ...wildcards]);
}

/** Object-level S3 access: keys are per message, so the resource is the bucket's `/*`. */
export const OBJECT_KEYS: ExpectedWildcard = {
  finding: /^AwsSolutions-IAM5\[Resource::.*\/\*\]$/,
  reason: 'Object keys are chosen per message at run time: the resource is this one bucket\'s objects (bucket-arn/*), nothing wider.',
};

/**
 * Walks every role with declared wildcards, computes its IAM5 findings the way cdk-nag does, and
 * acknowledges those that match a declaration. Anything undeclared stays a cdk-nag error.
 * Call after every policy statement has been added (the end of buildApp).
 */
export function acknowledgeExpectedWildcards(root: IConstruct): void {
  for (const c of root.node.findAll()) {
    const decls = expected.get(c);
    if (decls === undefined || !(c instanceof iam.Role)) continue;
    const stack = Stack.of(c);
    const docs: any[] = [];
    for (const child of c.node.findAll()) {
      if (child instanceof iam.CfnPolicy) docs.push(stack.resolve(child.policyDocument));
    }
    const cfnRole = c.node.defaultChild as iam.CfnRole;
    for (const p of (stack.resolve(cfnRole.policies) as any[] | undefined) ?? []) docs.push(stack.resolve(p.policyDocument));
    const findings = new Set<string>();
    for (const doc of docs) {
      for (const st of doc?.Statement ?? []) {
        if (st.Effect !== 'Allow') continue;
        for (const a of ([] as string[]).concat(st.Action)) if (a.includes('*')) findings.add(`AwsSolutions-IAM5[Action::${a}]`);
        for (const r of ([] as unknown[]).concat(st.Resource)) {
          const flat = flattenCfnReference(r as never);
          if (flat.includes('*')) findings.add(`AwsSolutions-IAM5[Resource::${flat}]`);
        }
      }
    }
    for (const f of findings) {
      const d = decls.find((x) => x.finding.test(f));
      if (d !== undefined) Validations.of(c).acknowledge({ id: f, reason: d.reason });
    }
  }
}
