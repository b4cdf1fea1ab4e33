// The signer config an admin command names: `--config FILE` (lkp signer serve) or
// `--ssm-parameter NAME` (the deployed signer's, read with the admin's own credentials).
// One reader for every command that takes either (lkp ca show, lkp signer revoke / revocations).
import { LkpError } from '../errors.js';
import { loadSignerConfig, parseSignerConfig, type SignerConfig } from './config.js';

export interface ConfigSource {
  readonly config?: string;
  readonly ssmParameter?: string;
  readonly region?: string;
}

export const regionOf = (source: ConfigSource): string => source.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';

/** The signer config named by `--config FILE` or `--ssm-parameter NAME`. */
export const loadConfigFrom = async (source: ConfigSource): Promise<SignerConfig> => {
  if (source.config !== undefined && source.ssmParameter !== undefined) throw new LkpError('UsageError', 'give --config FILE or --ssm-parameter NAME, not both');
  if (source.config !== undefined) return loadSignerConfig(source.config);
  if (source.ssmParameter === undefined) throw new LkpError('UsageError', 'give --config FILE (lkp signer serve) or --ssm-parameter NAME (the deployed signer)');
  const { fetchSsmParameter } = await import('../aws/ssm-parameter.js');
  const text = await fetchSsmParameter(source.ssmParameter, regionOf(source));
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new LkpError('ConfigInvalid', `SSM parameter ${source.ssmParameter} is not valid JSON`, { cause: error });
  }
  return parseSignerConfig(doc, `ssm:${source.ssmParameter}`);
};
