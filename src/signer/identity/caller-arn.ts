// What kind of principal signed an identity proof, from the ARN STS reported.
import { LkpError } from '../../errors.js';
import { INSTANCE_ID_RE } from '../../api/target.js';

export type CallerArn =
  | { readonly type: 'user'; readonly partition: string; readonly account: string; readonly name: string }
  | { readonly type: 'assumed-role'; readonly partition: string; readonly account: string; readonly role: string; readonly session: string }
  | { readonly type: 'federated-user'; readonly partition: string; readonly account: string; readonly name: string }
  | { readonly type: 'root'; readonly partition: string; readonly account: string };

/** Parses the ARN STS returned; anything else is refused. */
export const parseCallerArn = (arn: string): CallerArn => {
  let m = /^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/([\w+=,.@-]{2,64})$/.exec(arn);
  if (m) return { type: 'assumed-role', partition: m[1]!, account: m[2]!, role: m[3]!, session: m[4]! };
  m = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):user\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/.exec(arn);
  if (m) return { type: 'user', partition: m[1]!, account: m[2]!, name: m[3]! };
  m = /^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):federated-user\/([\w+=,.@-]{2,64})$/.exec(arn);
  if (m) return { type: 'federated-user', partition: m[1]!, account: m[2]!, name: m[3]! };
  m = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):root$/.exec(arn);
  if (m) return { type: 'root', partition: m[1]!, account: m[2]! };
  throw new LkpError('Unauthenticated', `unrecognised caller ARN ${JSON.stringify(arn.slice(0, 200))}`);
};

/** True when the caller is an EC2 instance's role session (session name = instance id). */
export const isInstanceSession = (c: CallerArn): c is Extract<CallerArn, { type: 'assumed-role' }> =>
  c.type === 'assumed-role' && INSTANCE_ID_RE.test(c.session);
