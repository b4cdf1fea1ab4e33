// The laptop side: `lkp ssh exec`, `lkp ssh config`, `lkp ssh cert`, `lkp ssh list`/`logout`,
// and the two helpers the ssh config calls (`prepare` from Match exec, `proxy` as ProxyCommand).
import type { Args, CommandDef, OptionSpec } from '../command.js';
import { signerOptions, sshExecDecl, transportOptions } from './ssh-exec-decl.js';

/** Client config and signer choice shared by exec, prepare and config. */
const clientContext = async (args: Args) => (await import('../client-context.js')).clientContext(args);

/** --via, else the signer profile's, else direct. */
const chosenTransport = async (args: Args, signers: ReadonlyArray<{ via?: string }>) => (await import('../client-context.js')).chosenVia(args, signers);

export const sshExec: CommandDef = {
  ...sshExecDecl,
  run: async (args) => {
    const { clientContext, chosenVia, execOptions } = await import('../client-context.js');
    const { home, signers, krlMaxAgeHours } = await clientContext(args);
    const via = chosenVia(args, signers);
    const options = execOptions(args, home, signers, via === 'eice' ? (await import('../self.js')).selfCommand().argv : undefined, krlMaxAgeHours);
    if (args['dry-run']) {
      // Nothing issued, nothing spent: show what a run would request and run.
      const { dryRunSsh } = await import('../../client/dry-run.js');
      const { personCredentials } = await import('../../client/credentials.js');
      const plan = await dryRunSsh({ ...options, agent: args.agent as boolean }, () => personCredentials(signers[0]?.profile));
      process.stdout.write(`${plan.lines.join('\n')}\n`);
      if (plan.failure) throw plan.failure;
      return 0;
    }
    const { prepareSsh } = await import('../../client/exec.js');
    const prepared = await prepareSsh(options);
    if (args.agent) {
      const { addToAgent } = await import('../../client/agent.js');
      await addToAgent(prepared.identityPath, prepared.certificatePath, prepared.validBefore - Math.floor(Date.now() / 1000));
    }
    const { runSsh } = await import('../../client/run-ssh.js');
    return runSsh(prepared.sshPath, prepared.argv, prepared.env);
  },
};

export const sshConfig: CommandDef = {
  path: ['ssh', 'config'],
  describe: 'Print (or --install into ~/.ssh/config) the block that makes plain `ssh LOGIN@i-…` use lkp',
  options: {
    install: { type: 'boolean', default: false, describe: 'Write the block into ~/.ssh/config (idempotent: replaced in place)' },
    signer: signerOptions.signer as OptionSpec,
    via: transportOptions.via as OptionSpec,
    'ssh-config': { type: 'string', describe: 'File to install into (default ~/.ssh/config)' },
  },
  examples: [
    ['$0 ssh config --install', 'then: ssh ec2-user@i-0123456789abcdef0'],
    ['$0 ssh config --install --via eice', "the same through each instance's EC2 Instance Connect Endpoint (or set \"via\" on the signer in ~/.lkp/config.json)"],
  ],
  run: async (args) => {
    const path = await import('node:path');
    const os = await import('node:os');
    const { mkdir } = await import('node:fs/promises');
    const { home, signers } = await clientContext(args);
    const { renderSshConfig, installSshConfig } = await import('../../client/ssh-config.js');
    const { writeAtomic } = await import('../../fs/write-atomic.js');
    const { selfCommand } = await import('../self.js');
    const { knownHostsPath } = await import('../../client/known-hosts.js');
    const { knownHostsName } = await import('../../client/exec.js');
    const { revokedHostKeysPath } = await import('../../client/revoked-host-keys.js');
    const self = selfCommand();
    const block = renderSshConfig({
      lkp: self.argv,
      home,
      ...(args.signer ? { signer: args.signer as string } : {}),
      ...(args.via ? { via: (await chosenTransport(args, signers)) } : {}),
      knownHosts: knownHostsPath(home, knownHostsName(signers[0] as NonNullable<(typeof signers)[0]>)),
      revokedHostKeys: revokedHostKeysPath(home, knownHostsName(signers[0] as NonNullable<(typeof signers)[0]>)),
    });
    // Without an installed lkp the block names this node and script: it breaks when either moves.
    if (!self.installed) process.stderr.write(`lkp: lkp is not on PATH, so the ssh config runs ${self.argv.join(' ')}; put lkp on PATH (npm link, or the binary from npm run build:binary) and run this again\n`);
    if (!args.install) {
      process.stdout.write(block);
      return 0;
    }
    // The block Includes hosts/*/*.conf and trusts known_hosts there: only into a home no one else can write.
    const { checkHomeDirs } = await import('../../client/home.js');
    checkHomeDirs(home, ['hosts', 'cache']);
    const given = path.resolve((args['ssh-config'] as string | undefined) ?? path.join(os.homedir(), '.ssh', 'config'));
    // A dotfile manager's symlink stays a symlink: the block goes into the file it points to.
    const { realpath } = await import('node:fs/promises');
    const file = await realpath(given).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return given;
      throw error;
    });
    const { readOptional } = await import('../../fs/read-optional.js');
    const current = (await readOptional(file, 'utf8')) ?? '';
    const next = installSshConfig(current, block);
    if (next === current) {
      process.stdout.write(`${file}: already up to date\n`);
      return 0;
    }
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeAtomic(file, next, 0o600);
    process.stdout.write(`${file}: lkp block installed; try: ssh ec2-user@i-0123456789abcdef0\n`);
    return 0;
  },
};

export const sshCert: CommandDef = {
  path: ['ssh', 'cert'],
  describe: 'Get a user certificate for LOGIN on HOST with a user join token',
  options: {
    'join-token': { type: 'string', describe: 'A user token from `lkp signer token create --for user`; "-" reads it from standard input (or use --join-token-file, LKP_JOIN_TOKEN: arguments are visible to other users)' },
    'join-token-file': { type: 'string', describe: 'Read the user token from this file (0600 or stricter)' },
    target: { type: 'string', demand: true, describe: 'The host (its joined name or instance id)' },
    user: { type: 'string', demand: true, describe: 'The login' },
    identity: { type: 'string', describe: 'Private key to certify (default $LKP_HOME/id_ed25519, ~/.lkp unless set; created if absent)' },
    'function-name': { type: 'string', default: process.env.LKP_FUNCTION_NAME ?? 'lkp-signer', describe: 'Signer function name or ARN' },
  },
  examples: [
    ['$0 ssh cert --join-token-file ~/token --target web-1 --user deploy', 'writes ~/.lkp/id_ed25519-cert.pub (or under LKP_HOME)'],
    ['printf %s "$T" | $0 ssh cert --join-token - --target web-1 --user deploy', 'the token on standard input'],
  ],
  run: async (args) => {
    const os = await import('node:os');
    const path = await import('node:path');
    const { ensureKeyPair } = await import('../../client/keypair.js');
    const { requestUserCertificate } = await import('../../client/request-user-cert.js');
    const { writeAtomic } = await import('../../fs/write-atomic.js');
    const { parseLogin } = await import('../../ssh/names.js');
    const { parseTarget, targetHostId } = await import('../../api/target.js');
    const { userPrincipal } = await import('../../api/principal-scheme.js');
    const login = parseLogin(args.user);
    const target = parseTarget(args.target);
    const { joinTokenFromCli } = await import('../join-token-input.js');
    const token = await joinTokenFromCli(args['join-token'] as string | undefined, args['join-token-file'] as string | undefined);
    if (!token) throw new (await import('../../errors.js')).LkpError('UsageError', 'give the user token: --join-token-file FILE, --join-token - (standard input) or LKP_JOIN_TOKEN');
    const { lkpHome } = await import('../../client/home.js');
    const identityPath = path.resolve((args.identity as string | undefined) ?? path.join(lkpHome(), 'id_ed25519'));
    const keyPair = await ensureKeyPair(identityPath, `lkp ${os.userInfo().username}`);
    const result = await requestUserCertificate({
      identity: { method: 'join-token', token },
      keyPair,
      login,
      target: args.target as string,
      expectedPrincipal: userPrincipal(login, targetHostId(target)),
      signer: { functionName: args['function-name'] as string },
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    await writeAtomic(`${identityPath}-cert.pub`, `${result.line}\n`, 0o644);
    process.stdout.write(`${identityPath}-cert.pub\n`);
  },
};

export const sshPrepare: CommandDef = {
  path: ['ssh', 'prepare'],
  describe: false, // called by the ssh config's Match exec
  options: { host: { type: 'string', demand: true, describe: 'instance id' }, user: { type: 'string', demand: true, describe: 'login' }, signer: signerOptions.signer as OptionSpec, ...transportOptions },
  fast: true,
  run: async (args) => {
    const { home, signers, krlMaxAgeHours } = await clientContext(args);
    const { parseLogin } = await import('../../ssh/names.js');
    const { prepareHost } = await import('../../client/transparent.js');
    const via = await chosenTransport(args, signers);
    await prepareHost({ instanceArn: args.host as string, login: parseLogin(args.user), signers, home, via, ...(krlMaxAgeHours !== undefined ? { krlMaxAgeMs: krlMaxAgeHours * 3600_000 } : {}), ...(args['eice-id'] ? { eiceId: args['eice-id'] as string } : {}), ...(via === 'eice' ? { lkpCommand: (await import('../self.js')).selfCommand().argv } : {}) });
    return 0;
  },
};

export const sshProxy: CommandDef = {
  path: ['ssh', 'proxy'],
  describe: false, // the ssh config's ProxyCommand
  options: {
    host: { type: 'string', demand: true, describe: 'instance id' },
    port: { type: 'number', default: 22, describe: 'port' },
    // What `lkp ssh exec --via eice` passes (the transparent mode reads them from prepare's route file).
    via: { type: 'string', choices: ['eice'], describe: 'eice: open the EC2 Instance Connect Endpoint tunnel described by the options below' },
    address: { type: 'string', describe: "the instance's private IPv4 address" },
    'eice-id': { type: 'string', describe: 'the endpoint id' },
    'eice-dns': { type: 'string', describe: "the endpoint's DNS name" },
    region: { type: 'string', describe: 'the region' },
    profile: { type: 'string', describe: 'AWS profile for credentials' },
    'vpc-id': { type: 'string', describe: "the instance's VPC, when the endpoint was found there: a refused tunnel looks there once more" },
    'max-tunnel-duration': { type: 'number', default: 3600, describe: 'seconds, 1..3600' },
  },
  fast: true,
  run: async (args) => {
    const port = args.port as number;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new (await import('../../errors.js')).LkpError('UsageError', '--port must be 1..65535');
    if (args.via === 'eice') {
      const { INSTANCE_ID_RE } = await import('../../api/target.js');
      const { LkpError } = await import('../../errors.js');
      if (!INSTANCE_ID_RE.test(args.host as string)) throw new LkpError('UsageError', `${String(args.host)} is not an instance id`);
      const missing = ['address', 'eice-id', 'eice-dns', 'region'].filter((k) => typeof args[k] !== 'string');
      if (missing.length > 0) throw new LkpError('UsageError', `--via eice needs ${missing.map((m) => `--${m}`).join(', ')}`);
      const { proxyViaEice } = await import('../../client/tunnel/proxy.js');
      await proxyViaEice(
        {
          via: 'eice',
          endpointId: args['eice-id'] as string,
          dnsName: args['eice-dns'] as string,
          privateIp: args.address as string,
          region: args.region as string,
          ...(args.profile ? { profile: args.profile as string } : {}),
          ...(typeof args['vpc-id'] === 'string' ? { vpcId: args['vpc-id'] } : {}),
          maxTunnelSeconds: args['max-tunnel-duration'] as number,
        },
        port,
        { instanceId: args.host as string, home: (await import('../../client/home.js')).lkpHome() },
      );
      return 0;
    }
    const { lkpHome } = await import('../../client/home.js');
    const { proxyToHost } = await import('../../client/transparent.js');
    return proxyToHost(lkpHome(), args.host as string, port);
  },
};

export const sshList: CommandDef = {
  path: ['ssh', 'list'],
  describe: 'List the cached user certificates: instance, login, signer, address, expiry, key',
  options: { json: { type: 'boolean', default: false, describe: 'Print JSON: { version, cache, certificates: [{ instanceId, login, signer, address, validBefore, status, keyFingerprint, … }] }' } },
  examples: [
    ['$0 ssh list', 'what `lkp ssh exec` would reuse, and what has expired'],
    ['$0 ssh list --json', 'the same for scripts'],
  ],
  run: async (args) => {
    const { lkpHome } = await import('../../client/home.js');
    const { listCachedCertificates, listJson, formatList } = await import('../../client/list-certs.js');
    const home = lkpHome();
    const now = Math.floor(Date.now() / 1000);
    const certs = await listCachedCertificates(home, now);
    process.stdout.write(args.json ? `${JSON.stringify(listJson(home, certs, now), null, 2)}\n` : `${formatList(home, certs, now).join('\n')}\n`);
    return 0;
  },
};

export const sshLogout: CommandDef = {
  path: ['ssh', 'logout'],
  describe: "Remove cached certificates (all, or one instance's) and their copies in ssh-agent",
  options: {
    instance: { type: 'string', describe: 'Only this instance (id or ARN)' },
    json: { type: 'boolean', default: false, describe: 'Print JSON: { version, instanceId, removed: [{ instanceId, login, … }], agent: { status, removed } }' },
  },
  examples: [
    ['$0 ssh logout', 'forget every cached certificate, and remove them from ssh-agent'],
    ['$0 ssh logout --instance i-0123456789abcdef0', 'only that instance'],
  ],
  run: async (args) => {
    const { lkpHome } = await import('../../client/home.js');
    const { logout, parseInstanceOption } = await import('../../client/logout.js');
    const { listJson } = await import('../../client/list-certs.js');
    const instanceId = args.instance !== undefined ? parseInstanceOption(String(args.instance)) : undefined;
    const home = lkpHome();
    const now = Math.floor(Date.now() / 1000);
    const sock = process.env.SSH_AUTH_SOCK;
    const result = await logout(home, { now, ...(instanceId ? { instanceId } : {}), ...(sock ? { sock } : {}) });
    if (result.agent.status === 'unreachable') process.stderr.write(`lkp: ssh-agent at SSH_AUTH_SOCK did not answer (${result.agent.message ?? ''}); its copies, if any, stay until they expire\n`);
    if (args.json) {
      const { certificates } = listJson(home, result.removed, now);
      process.stdout.write(`${JSON.stringify({ version: 1, instanceId: result.instanceId, removed: certificates, agent: result.agent }, null, 2)}\n`);
      return 0;
    }
    const what = result.instanceId ? ` for ${result.instanceId}` : '';
    const agent = result.agent.status === 'done' ? `; ${result.agent.removed} removed from ssh-agent` : result.agent.status === 'no-agent' ? '; no ssh-agent (SSH_AUTH_SOCK is not set)' : '';
    process.stdout.write(`${result.removed.length} cached certificate${result.removed.length === 1 ? '' : 's'} removed${what}${agent}\n`);
    return 0;
  },
};
