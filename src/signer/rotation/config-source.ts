// Where a signer config is read from and written back to for a rotation step: the file
// `lkp signer serve` reads (atomic rename, one backup beside it), or the SSM parameter the
// Lambda reads (PutParameter; SSM keeps every earlier version in its history). A write
// refuses when the config changed since it was read, so two admins never undo each other.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { LkpError } from '../../errors.js';
import { readOptional } from '../../fs/read-optional.js';
import { writeAtomic } from '../../fs/write-atomic.js';

export interface ConfigSource {
  /** The file path, or ssm:NAME: for messages and for parseSignerConfig. */
  readonly label: string;
  /** The folder new CA key files go into (file configs only). */
  readonly dir?: string;
  read(): Promise<unknown>;
  /** Replaces the config; says where the previous one can be found. */
  write(doc: unknown): Promise<{ readonly previous: string }>;
}

const parseJson = (text: string, label: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new LkpError('ConfigInvalid', `signer config ${label} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
};

const render = (doc: unknown): string => `${JSON.stringify(doc, null, 2)}\n`;

const changedUnderUs = (label: string): LkpError => new LkpError('ConfigInvalid', `signer config ${label} changed while this step ran; nothing was written: run it again`);

/** A config file; the previous version is kept as FILE.lkp-backup. */
export const fileConfigSource = (file: string): ConfigSource => {
  const abs = path.resolve(file);
  let readText: string | undefined;
  return {
    label: abs,
    dir: path.dirname(abs),
    read: async () => {
      const text = await readOptional(abs, 'utf8');
      if (text === null) throw new LkpError('ConfigInvalid', `cannot read signer config ${abs}: ENOENT`);
      readText = text;
      return parseJson(text, abs);
    },
    write: async (doc) => {
      const now = await readOptional(abs, 'utf8');
      if (readText === undefined || now !== readText) throw changedUnderUs(abs);
      const mode = (await stat(abs)).mode & 0o777;
      const backup = `${abs}.lkp-backup`;
      await writeAtomic(backup, readText, mode);
      await writeAtomic(abs, render(doc), { mode, syncDir: true });
      readText = render(doc);
      return { previous: backup };
    },
  };
};

/** The deployed signer's config in SSM Parameter Store (as the Lambda reads it). */
export const ssmConfigSource = (name: string, region: string): ConfigSource => {
  const label = `ssm:${name}`;
  let read: { value: string; type: 'String' | 'SecureString' | 'StringList'; version: number } | undefined;
  return {
    label,
    read: async () => {
      const { fetchSsmParameterVersion } = await import('../../aws/ssm-parameter.js');
      read = await fetchSsmParameterVersion(name, region);
      return parseJson(read.value, label);
    },
    write: async (doc) => {
      const { fetchSsmParameterVersion, putSsmParameter } = await import('../../aws/ssm-parameter.js');
      const now = await fetchSsmParameterVersion(name, region);
      if (!read || now.version !== read.version || now.value !== read.value) throw changedUnderUs(label);
      await putSsmParameter(name, region, JSON.stringify(doc), read.type);
      return { previous: `${label} version ${read.version} (aws ssm get-parameter-history --name ${name})` };
    },
  };
};
