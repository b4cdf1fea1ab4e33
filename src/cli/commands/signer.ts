// `lkp signer serve` and `lkp signer token create`.
import type { CommandDef } from '../command.js';
import { LkpError } from '../../errors.js';

const parseListen = (value: string): { host: string; port: number } => {
  const m = /^(\[[0-9a-fA-F:]+\]|[0-9.]+|localhost):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new LkpError('UsageError', `--listen ${JSON.stringify(value)} must be HOST:PORT, e.g. 127.0.0.1:9000`);
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) };
};

export const signerServe: CommandDef = {
  path: ['signer', 'serve'],
  describe: 'Serve the signer over the Lambda Invoke API (for one machine, tests and non-AWS hosts)',
  options: {
    config: { type: 'string', demand: true, describe: 'Signer config file (from lkp ca init)' },
    listen: { type: 'string', default: '127.0.0.1:9000', describe: 'HOST:PORT to listen on (port 0 picks one)' },
    'function-name': { type: 'strings', describe: 'Function names to answer to (default: any)' },
    'allow-remote': { type: 'boolean', default: false, describe: 'Listen on a non-loopback address (plain HTTP: only behind a TLS-terminating proxy)' },
  },
  examples: [['$0 signer serve --config ca/signer.json --listen 127.0.0.1:9000', 'then AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:9000']],
  run: async (argv) => {
    const listen = parseListen(argv.listen as string);
    const { isLoopbackUrl } = await import('../../aws/endpoint.js');
    if (!isLoopbackUrl(`http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}/`) && !argv['allow-remote']) {
      throw new LkpError('UsageError', `--listen ${listen.host}: the local signer speaks plain HTTP, where join tokens and CA keys could be read or replaced; listen on 127.0.0.1, or put it behind TLS and pass --allow-remote`);
    }
    const { assembleSigner } = await import('../../signer/assemble.js');
    const { serveSigner } = await import('../../signer/serve.js');
    const { causeChain, describeError } = await import('../../errors.js');
    const audit = (record: object): void => void process.stdout.write(`${JSON.stringify({ type: 'lkp.audit', ...record })}\n`);
    const { followConfigFile } = await import('../../signer/follow-config.js');
    // Config, CA keys and token key are checked now: a signer that cannot sign must not say "listening".
    // A changed config file (a CA rotation step) is picked up the same way, or kept out if broken.
    const followed = await followConfigFile(argv.config as string, (config) => assembleSigner(config, { audit, checkAtStart: true }), (event) =>
      process.stderr.write(event.ok ? `lkp signer: config reloaded from ${String(argv.config)}\n` : `lkp signer: config ${String(argv.config)} not reloaded, the previous one stays: ${describeError(event.error)}\n`),
    );
    process.on('SIGHUP', () => void followed.reload());
    const server = await serveSigner(followed.handler, {
      ...listen,
      functionNames: (argv['function-name'] as string[] | undefined) ?? [],
      onError: (error, id, where) => {
        const causes = causeChain(error);
        const detail = process.env.LKP_DEBUG ? causes.map((c) => `  caused by ${c}\n`).join('') : '';
        process.stderr.write(`lkp signer: internal error in request ${id}: ${describeError(error)}\n${detail}`);
        // The handler audits its own crashes; a failure around it is audited here.
        if (where === 'server') {
          audit({ ts: new Date().toISOString(), requestId: id, action: 'unknown', outcome: 'error', code: 'Internal', reason: describeError(error), ...(causes.length > 0 ? { causes } : {}) });
        }
      },
    });
    // Handlers first, then the "listening" line: whoever waits for it may signal at once.
    // After a clean shutdown the exit code says which signal ended it (130 SIGINT, 143 SIGTERM),
    // as a shell would report it; a systemd unit should set SuccessExitStatus=143.
    const stopped = new Promise<number>((resolve) => {
      const stop = (code: number) => (): void => {
        server.close(() => resolve(code));
        server.closeIdleConnections();
        // In-flight requests get a moment to finish; a client holding a half-sent body must
        // not keep a process alive whose port is already free for someone else to take.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      };
      process.once('SIGTERM', stop(143));
      process.once('SIGINT', stop(130));
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : listen.port;
    process.stderr.write(`lkp signer listening on http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}\n`);
    return await stopped;
  },
};

export const signerTokenCreate: CommandDef = {
  path: ['signer', 'token', 'create'],
  describe: 'Print a short-lived, single-use join token for a host or a user',
  options: {
    config: { type: 'string', demand: true, describe: 'Signer config file' },
    principal: { type: 'strings', demand: true, describe: 'Name the token may claim (repeatable); LOGIN@HOST for --for user' },
    for: { type: 'string', default: 'host', choices: ['host', 'user'], describe: 'Certificate type the token is for' },
    ttl: { type: 'string', default: '10m', describe: 'Lifetime, e.g. 10m, 1h' },
  },
  examples: [
    ['$0 signer token create --config ca/signer.json --principal web-1.internal', 'a host token for web-1.internal'],
    ['$0 signer token create --config ca/signer.json --for user --principal ec2-user@web-1.internal', 'a user token'],
  ],
  run: async (argv) => {
    const { parseDuration } = await import('../../duration.js');
    const { loadSignerConfig } = await import('../../signer/config.js');
    const { openJoinTokenKey } = await import('../../signer/identity/join-token-key.js');
    const { createTokenFor } = await import('../../signer/token-create.js');
    const config = await loadSignerConfig(argv.config as string);
    if (!config.joinTokens) throw new LkpError('ConfigInvalid', `${String(argv.config)} has no joinTokens section`);
    // With a KMS key this is kms:GenerateMac under the caller's own (operator) credentials.
    const key = await openJoinTokenKey(config.joinTokens.key);
    const { token } = await createTokenFor({
      config,
      key,
      certType: argv.for as 'host' | 'user',
      principals: argv.principal as string[],
      ttlSeconds: parseDuration(argv.ttl, '--ttl'),
      now: Math.floor(Date.now() / 1000),
    });
    process.stdout.write(`${token}\n`);
  },
};
