// iam:GetRole over the query protocol (global endpoint, signed for us-east-1): the role's
// trust policy document, decoded. Cached per role for five minutes by the caller.
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../errors.js';
import { httpRequest } from './http.js';
import { signRequest } from './sigv4.js';
import { parseXml, xmlErrorCode, xmlText } from './xml.js';

/** The trust policy of `roleName`, or undefined when the role does not exist. */
export const fetchRoleTrustPolicy = async (roleName: string, credentials: AwsCredentialIdentity, partition = 'aws'): Promise<unknown> => {
  const override = process.env.AWS_ENDPOINT_URL_IAM ?? process.env.AWS_ENDPOINT_URL;
  const base = override ?? (partition === 'aws-cn' ? 'https://iam.cn-north-1.amazonaws.com.cn/' : partition === 'aws-us-gov' ? 'https://iam.us-gov.amazonaws.com/' : 'https://iam.amazonaws.com/');
  const url = new URL(base);
  const region = partition === 'aws-cn' ? 'cn-north-1' : partition === 'aws-us-gov' ? 'us-gov-west-1' : 'us-east-1';
  const body = `Action=GetRole&Version=2010-05-08&RoleName=${encodeURIComponent(roleName)}`;
  const headers = await signRequest(
    { method: 'POST', protocol: url.protocol as 'https:', hostname: url.hostname, ...(url.port ? { port: Number(url.port) } : {}), path: '/', headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body },
    { service: 'iam', region, credentials },
  );
  const answer = await httpRequest(new URL('/', url).toString(), { method: 'POST', headers, body });
  let doc;
  try {
    doc = parseXml(answer.body);
  } catch {
    throw new LkpError('AwsError', `iam:GetRole answered HTTP ${answer.status} with something that is not XML`);
  }
  if (answer.status !== 200) {
    const code = xmlErrorCode(doc) ?? `HTTP ${answer.status}`;
    if (code === 'NoSuchEntity') return undefined;
    throw new LkpError('AwsError', `iam:GetRole ${roleName} failed: ${code}`);
  }
  const encoded = xmlText(doc, 'GetRoleResponse', 'GetRoleResult', 'Role', 'AssumeRolePolicyDocument');
  if (!encoded) throw new LkpError('AwsError', `iam:GetRole ${roleName} answered no trust policy`);
  try {
    return JSON.parse(decodeURIComponent(encoded)) as unknown;
  } catch {
    throw new LkpError('AwsError', `the trust policy of ${roleName} is not JSON`);
  }
};
