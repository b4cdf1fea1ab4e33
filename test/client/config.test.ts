import { describe, expect, it } from 'vitest';
import { chooseSigners, parseClientConfig } from '../../src/client/config.js';
import { installSshConfig, renderSshConfig, BEGIN } from '../../src/client/ssh-config.js';
import { buildSshArgs, formatCommandLine } from '../../src/client/ssh-command.js';

describe('client config', () => {
  const doc = { version: 1, defaultSigner: 'prod', signers: { prod: { functionName: 'lkp', region: 'us-east-1', profile: 'p', defaultLogin: 'ubuntu', fallbacks: ['dr'] }, dr: { functionName: 'arn:aws:lambda:us-west-2:1:function:lkp', region: 'us-west-2' } } };
  it('ok/named signers with fallbacks; flags override only the chosen one', () => {
    const c = parseClientConfig(doc, 'c.json');
    const chain = chooseSigners(c, { profile: 'other' });
    expect(chain.map((s) => s.name)).toEqual(['prod', 'dr']);
    expect(chain[0]).toMatchObject({ profile: 'other', defaultLogin: 'ubuntu' });
    expect(chain[1]?.profile).toBeUndefined();
  });
  it('fail/errors name the file and the field', () => {
    expect(() => parseClientConfig({ ...doc, extra: 1 }, 'c.json')).toThrow(/c.json: unknown field "extra"/);
    expect(() => parseClientConfig({ signers: { prod: { functionName: 'x', fallbacks: ['nope'] } } }, 'c.json')).toThrow(/signers.prod.fallbacks: no signer named "nope"/);
    expect(() => parseClientConfig({ signers: { prod: { functionName: 'x', defaultLogin: 'a b' } } }, 'c.json')).toThrow(/signers.prod.defaultLogin/);
    expect(() => parseClientConfig({ defaultSigner: 'x', signers: {} }, 'c.json')).toThrow(/defaultSigner: no signer named "x"/);
    expect(() => chooseSigners(parseClientConfig(doc, 'c.json'), { signer: 'qa' })).toThrow(/c.json: no signer named "qa"/);
  });
});

describe('ssh command and config', () => {
  it('ok/user arguments are appended untouched after the destination', () => {
    const argv = buildSshArgs({ sshPath: 'ssh', identity: '/k', certificate: '/c', knownHosts: '/kh', hostKeyAlias: 'i-1', login: 'u', address: '10.0.0.1', args: ['-v', "a 'b'", ''] });
    expect(argv.slice(-4)).toEqual(['10.0.0.1', '-v', "a 'b'", '']);
    expect(argv).toContain('StrictHostKeyChecking=yes');
    expect(formatCommandLine(['ssh', "a 'b'", ''])).toBe(`ssh 'a '\\''b'\\''' ''`);
  });
  it('ok/install puts one block at the top and replaces it in place', () => {
    const block = renderSshConfig({ lkp: ['/usr/bin/node', '/opt/lkp/bin/lkp.js'], home: '/home/a/.lkp', knownHosts: '/home/a/.lkp/known_hosts.x' });
    const once = installSshConfig('Host *\n  User me\n', block);
    expect(once.startsWith(BEGIN)).toBe(true);
    expect(installSshConfig(once, block)).toBe(once);
    const changed = installSshConfig(once, block.replace('/opt/lkp', '/srv/lkp'));
    expect(changed.split(BEGIN).length).toBe(2);
    expect(changed).toContain('/srv/lkp');
    expect(changed.endsWith('Host *\n  User me\n')).toBe(true);
  });
});

describe('transports in the client config and the ssh config', () => {
  it('ok/a signer names its default transport; anything else is refused, naming the field', () => {
    const c = parseClientConfig({ signers: { prod: { functionName: 'lkp', via: 'eice' }, dev: { functionName: 'lkp', via: 'ssm' } } }, 'c.json');
    expect(c.signers.get('prod')?.via).toBe('eice');
    expect(c.signers.get('dev')?.via).toBe('ssm');
    expect(() => parseClientConfig({ signers: { prod: { functionName: 'lkp', via: 'telnet' } } }, 'c.json')).toThrow(/c.json: signers.prod.via: must be one of direct, eice, ssm/);
  });
  it('ok/`lkp ssh config --via eice` passes the transport to prepare; the ProxyCommand line stays', () => {
    const plain = renderSshConfig({ lkp: ['/usr/bin/lkp'], home: '/h/.lkp', knownHosts: '/h/.lkp/kh' });
    const eice = renderSshConfig({ lkp: ['/usr/bin/lkp'], home: '/h/.lkp', knownHosts: '/h/.lkp/kh', via: 'eice' });
    expect(eice).toContain(`ssh prepare --host '%h' --user '%r' --via eice"`);
    expect(eice.split('\n').filter((l) => l.includes('ProxyCommand'))).toEqual(plain.split('\n').filter((l) => l.includes('ProxyCommand')));
  });
});
