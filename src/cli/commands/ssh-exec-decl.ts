// The declaration of `lkp ssh exec` (path, options, examples) without its run function, so
// the cache-hit entry (src/cli/exec-hit.ts) parses exactly what the full CLI parses
// without pulling in the rest of the command table.
import type { CommandDef, OptionSpec } from '../command.js';

export const signerOptions: Record<string, OptionSpec> = {
  signer: { type: 'string', describe: 'Named signer from the client config (LKP_CONFIG, default ~/.lkp/config.json)' },
  'function-name': { type: 'string', describe: 'Signer function name or ARN (overrides the profile)' },
  region: { type: 'string', describe: "Signer region (default: the instance's)" },
  profile: { type: 'string', describe: 'AWS profile for credentials' },
};

export const transportOptions: Record<string, OptionSpec> = {
  via: { type: 'string', choices: ['direct', 'eice', 'ssm'], describe: "How ssh reaches the instance: direct (its address), eice (lkp's EC2 Instance Connect Endpoint tunnel) or ssm (aws ssm start-session); default: the signer profile's via, else direct" },
  'eice-id': { type: 'string', describe: "With --via eice: this endpoint (eice-…) instead of the one in the instance's VPC" },
};

export const sshExecDecl: Omit<CommandDef, 'run'> = {
  path: ['ssh', 'exec'],
  describe: 'ssh to one instance with a certificate valid for that instance and login only',
  options: {
    'instance-arn': { type: 'string', demand: true, describe: 'arn:aws:ec2:REGION:ACCOUNT:instance/i-…' },
    user: { type: 'string', describe: "Login (default: the signer profile's defaultLogin, else ec2-user)" },
    ...signerOptions,
    public: { type: 'boolean', default: false, describe: 'Connect to the public IPv4 address', conflicts: 'address' },
    address: { type: 'string', describe: 'Connect to this address instead of asking EC2' },
    port: { type: 'number', describe: 'sshd port' },
    identity: { type: 'string', describe: 'Private key to use (default ~/.lkp/id_ed25519, created if absent)' },
    agent: { type: 'boolean', default: false, describe: "Also add the key and certificate to ssh-agent for the certificate's remaining life" },
    refresh: { type: 'boolean', default: false, describe: 'Ignore the certificate cache' },
    'allow-stale-krl': { type: 'boolean', default: false, describe: "Connect even when the host revocation list could not be refreshed and is older than krlMaxAgeHours (client config, default 24): revoked hosts since then are not refused" },
    ...transportOptions,
    jump: { type: 'strings', describe: 'Bastion [LOGIN@]INSTANCE-ARN[#PORT], repeatable, outermost first; each hop gets its own certificate and is verified by its host certificate' },
    'dry-run': { type: 'boolean', default: false, describe: 'Show what would be requested and run (instance, login, key, signer, address lookup, ssh command line); request no certificate, spend nothing' },
  },
  examples: [
    ['$0 ssh exec --instance-arn arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0', 'a shell as ec2-user'],
    ['$0 ssh exec --instance-arn ARN --user ubuntu -- uptime', "run one command; its exit code is lkp's"],
    ['$0 ssh exec --instance-arn ARN --via eice', 'a private instance through its EC2 Instance Connect Endpoint (no inbound port open to you)'],
  ],
  fast: true,
  trailing: 'the command for ssh (or its options)',
};
