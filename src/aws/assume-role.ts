// sts:AssumeRole over the query protocol, for describing instances in other accounts.
// Credentials are cached until five minutes before they expire.
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../errors.js';
import { stsHost } from './identity-proof.js';
import { httpRequest } from './http.js';
import { signRequest } from './sigv4.js';
import { parseXml, xmlErrorCode, xmlText } from './xml.js';

/** Returns a function that yields (cached) credentials for `roleArn`. */
export const assumeRoleProvider = (roleArn: string, region: string, base: () => Promise<AwsCredentialIdentity>): (() => Promise<AwsCredentialIdentity>) => {
  let cached: { creds: AwsCredentialIdentity; until: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.until) return cached.creds;
    const override = process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL;
    const url = new URL(override ?? `https://${stsHost(region)}/`);
    const body = `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(roleArn)}&RoleSessionName=lkp-signer&DurationSeconds=900`;
    const headers = await signRequest(
      { method: 'POST', protocol: url.protocol as 'https:', hostname: url.hostname, ...(url.port ? { port: Number(url.port) } : {}), path: '/', headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body },
      { service: 'sts', region, credentials: await base() },
    );
    const answer = await httpRequest(new URL('/', url).toString(), { method: 'POST', headers, body });
    const doc = parseXml(answer.body);
    if (answer.status !== 200) throw new LkpError('AwsError', `sts:AssumeRole ${roleArn} failed: ${xmlErrorCode(doc) ?? answer.status}`);
    const c = (n: string) => xmlText(doc, 'AssumeRoleResponse', 'AssumeRoleResult', 'Credentials', n);
    const accessKeyId = c('AccessKeyId');
    const secretAccessKey = c('SecretAccessKey');
    const sessionToken = c('SessionToken');
    const expiration = Date.parse(c('Expiration') ?? '');
    if (!accessKeyId || !secretAccessKey || !sessionToken) throw new LkpError('AwsError', `sts:AssumeRole ${roleArn} answered no credentials`);
    const creds = { accessKeyId, secretAccessKey, sessionToken };
    cached = { creds, until: (Number.isFinite(expiration) ? expiration : Date.now() + 900_000) - 300_000 };
    return creds;
  };
};
