import { describe, expect, it } from 'vitest';
import { ec2OnlyTrustProblem } from '../../src/signer/policy/trust-policy.js';

const allow = (Principal: unknown, Action: unknown = 'sts:AssumeRole') => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal, Action }] });

describe('EC2-only trust policies', () => {
  it('ok/only the EC2 service may assume the role', () => {
    expect(ec2OnlyTrustProblem(allow({ Service: 'ec2.amazonaws.com' }))).toBeUndefined();
    expect(ec2OnlyTrustProblem(allow({ Service: ['ec2.amazonaws.com'] }, ['sts:AssumeRole', 'sts:TagSession']))).toBeUndefined();
    expect(ec2OnlyTrustProblem({ Statement: [allow({ Service: 'ec2.amazonaws.com' }).Statement[0], { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole' }] })).toBeUndefined();
    expect(ec2OnlyTrustProblem(allow({ AWS: 'arn:aws:iam::1:root' }, 'sts:TagSession'))).toBeUndefined();
  });
  it('fail/any other principal, wildcard, NotPrincipal or malformed document', () => {
    expect(ec2OnlyTrustProblem(allow({ AWS: 'arn:aws:iam::111122223333:root' }))).toMatch(/AWS principals/);
    expect(ec2OnlyTrustProblem(allow('*'))).toMatch(/principal "\*"/);
    expect(ec2OnlyTrustProblem(allow({ Service: ['ec2.amazonaws.com', 'lambda.amazonaws.com'] }))).toMatch(/lambda/);
    expect(ec2OnlyTrustProblem(allow({ Federated: 'cognito-identity.amazonaws.com' }, 'sts:AssumeRoleWithWebIdentity'))).toMatch(/Federated/);
    expect(ec2OnlyTrustProblem(allow({ AWS: '*' }, '*'))).toMatch(/AWS principals/);
    expect(ec2OnlyTrustProblem({ Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: 'x' }, Action: 'sts:AssumeRole' }] })).toMatch(/NotPrincipal/);
    for (const action of ['sts:Assume*', 'sts:AssumeRol?', 'sts:*Role', 'sts:A*', 'STS:ASSUMEROLE', ['sts:TagSession', 'sts:AssumeRole*'], 5]) {
      expect(ec2OnlyTrustProblem(allow({ AWS: 'arn:aws:iam::111122223333:root' }, action)), JSON.stringify(action)).toMatch(/AWS principals/);
    }
    expect(ec2OnlyTrustProblem('nope')).toMatch(/not a JSON object/);
    expect(ec2OnlyTrustProblem({ Statement: [] })).toMatch(/no statements/);
  });
});
