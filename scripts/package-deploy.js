#!/usr/bin/env node
// `npm run package:deploy [-- --bucket B] [--stack S] [--server-id ID] [--region R]`:
// builds the signer's Lambda zip and prints the exact commands that upload it and deploy
// deploy/lkp.yaml, with the values an operator must fill in marked <LIKE-THIS>.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const bucket = arg('bucket', '<CODE-BUCKET>');
const stack = arg('stack', 'lkp');
const serverId = arg('server-id', 'lkp-prod');
const region = arg('region', process.env.AWS_REGION ?? '<REGION>');

execFileSync(process.execPath, ['scripts/build-lambda.js'], { stdio: ['ignore', 'ignore', 'inherit'] });
const zip = 'build/lkp-signer-lambda.zip';
const digest = createHash('sha256').update(readFileSync(zip)).digest('hex');
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
// A new key per build: CloudFormation only updates the function when the key changes.
const key = `lkp/signer-${version}-${digest.slice(0, 12)}.zip`;

const lines = [
  `built ${zip} (sha256 ${digest})`,
  '',
  '# 1. upload the signer code (the bucket must be in the same region as the stack)',
  `aws s3 cp ${zip} s3://${bucket}/${key} --region ${region}`,
  '',
  '# 2. deploy (creates the KMS CA keys, the ledger, the policy parameter, the roles)',
  `aws cloudformation deploy --region ${region} --stack-name ${stack} \\`,
  '  --template-file deploy/lkp.yaml --capabilities CAPABILITY_IAM \\',
  `  --parameter-overrides CodeS3Bucket=${bucket} CodeS3Key=${key} ServerId=${serverId} \\`,
  '    CaKeySpec=ECC_NIST_P256 RequireMfaForPeople=true \\',
  "    ExtraRules='<OPTIONAL: comma-separated rule objects, docs/policy.md>'",
  '',
  '# 3. what to hand out: the signer ARN, the instance profile, the people policy',
  `aws cloudformation describe-stacks --region ${region} --stack-name ${stack} --query 'Stacks[0].Outputs' --output table`,
  '',
  '# 4. the CA fingerprints to pin in user data (lkp host --user-ca-fingerprint)',
  `AWS_REGION=${region} lkp ca show --ssm-parameter /lkp/${serverId}/signer-config`,
];
process.stdout.write(`${lines.join('\n')}\n`);
