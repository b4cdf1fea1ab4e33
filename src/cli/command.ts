// One declaration per command — its path, options, examples and run function — used two
// ways: yargs builds the help, the usage errors and every rarely used path; the hot paths
// (`lkp ssh exec`, `lkp host`, the ssh config's prepare/proxy) are parsed with node's own
// util.parseArgs from the same declaration, because loading yargs costs about as much as
// starting node. Anything the fast parser is unsure of goes to yargs.
import type { Argv, CommandModule } from 'yargs';
import { LkpError } from '../errors.js';
import { runCommand } from './run.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean' | 'number' | 'strings';
  readonly describe: string;
  readonly default?: string | boolean | number;
  readonly demand?: boolean;
  readonly choices?: readonly string[];
  readonly conflicts?: string;
  readonly hidden?: boolean;
}

export type Args = Readonly<Record<string, string | boolean | number | string[] | undefined>> & { readonly '--': readonly string[] };

export interface CommandDef {
  /** e.g. ['ssh', 'exec']; [] never. */
  readonly path: readonly string[];
  /** false hides the command from help (internal helpers). */
  readonly describe: string | false;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly examples?: ReadonlyArray<readonly [string, string]>;
  /** Fast-path eligible: parsed without yargs when the arguments are unambiguous. */
  readonly fast?: boolean;
  /** What the words after `--` are for (e.g. `the command ssh runs`), when the command takes any. */
  readonly trailing?: string;
  readonly run: (args: Args) => Promise<number | void>;
}

/** Adds a definition's options and examples to a yargs builder. */
const applyOptions = (y: Argv, def: CommandDef): Argv => {
  let out = y;
  for (const [name, s] of Object.entries(def.options)) {
    out = out.option(name, {
      type: s.type === 'strings' ? 'array' : s.type,
      ...(s.type === 'strings' ? { string: true } : {}),
      describe: s.describe,
      ...(s.default !== undefined ? { default: s.default } : {}),
      ...(s.demand ? { demandOption: true } : {}),
      ...(s.choices ? { choices: [...s.choices] } : {}),
      ...(s.conflicts ? { conflicts: s.conflicts } : {}),
      ...(s.hidden ? { hidden: true } : {}),
      // yargs keeps a parent's options for its subcommands unless told not to: `host
      // status` would accept (and ignore) `host`'s --uninstall.
      global: false,
    });
  }
  for (const [cmd, what] of def.examples ?? []) out = out.example(cmd, what);
  return out;
};

interface Node {
  readonly name: string;
  def?: CommandDef;
  readonly children: Map<string, Node>;
}

/** A command group (`ca`, `ssh`, …): its description and examples for `lkp GROUP --help`. */
export interface GroupDef {
  readonly describe: string;
  readonly examples: ReadonlyArray<readonly [string, string]>;
}

const toModule = (node: Node, groups: Readonly<Record<string, GroupDef>>): CommandModule => {
  const hasChildren = node.children.size > 0;
  const group = groups[node.name];
  return {
    command: node.def || !hasChildren ? node.name : `${node.name} <command>`,
    describe: node.def ? node.def.describe : (group?.describe ?? `${node.name} commands`),
    builder: (y: Argv) => {
      let out = node.def ? applyOptions(y, node.def) : y;
      if (!node.def) for (const [cmd, what] of group?.examples ?? []) out = out.example(cmd, what);
      for (const child of node.children.values()) out = out.command(toModule(child, groups));
      return node.def ? out : out.demandCommand(1, `name a command of lkp ${node.name}`);
    },
    handler: (argv) => (node.def ? runCommand(() => (node.def as CommandDef).run({ ...(argv as unknown as Record<string, string | boolean | number | string[] | undefined>), '--': ((argv['--'] as unknown[] | undefined) ?? []).map(String) })) : undefined),
  };
};

/** yargs command modules for a list of definitions (grouped by path). */
export const yargsCommands = (defs: readonly CommandDef[], groups: Readonly<Record<string, GroupDef>> = {}): CommandModule[] => {
  const root = new Map<string, Node>();
  for (const def of defs) {
    let level = root;
    let node: Node | undefined;
    for (const part of def.path) {
      node = level.get(part) ?? { name: part, children: new Map() };
      level.set(part, node);
      level = node.children;
    }
    if (node) node.def = def;
  }
  return [...root.values()].map((n) => toModule(n, groups));
};

const looksLikeInstance = (word: string): boolean => /^(arn:[^:]*:ec2:|i-)/.test(word);

/**
 * Usage errors the declaration alone decides (an option the command does not have, a stray
 * word): the same for both parsers, with a hint for the usual slip (a command for ssh
 * without `--` before it).
 */
export const checkWords = (head: readonly string[], def: CommandDef): void => {
  const name = `lkp ${def.path.join(' ')}`;
  const stray: string[] = [];
  for (let i = 0; i < head.length; i += 1) {
    const word = head[i] as string;
    if (word.startsWith('-') && word.length > 1) {
      const flag = word.replace(/^--?/, '').split('=')[0] as string;
      const spec = def.options[flag] ?? (flag.startsWith('no-') && def.options[flag.slice(3)]?.type === 'boolean' ? def.options[flag.slice(3)] : undefined);
      if (!spec || !word.startsWith('--')) throw new LkpError('UsageError', `${name} has no option ${word.split('=')[0]} (see ${name} --help)`);
      if (spec.type !== 'boolean' && !word.includes('=')) i += 1; // its value
      // yargs reads `--users a b` as two values (user data relies on it): so do we.
      if (spec.type === 'strings') while (i + 1 < head.length && !(head[i + 1] as string).startsWith('-')) i += 1;
      continue;
    }
    stray.push(word);
  }
  if (stray.length === 0) return;
  const first = JSON.stringify(stray[0]);
  if (!def.trailing) throw new LkpError('UsageError', `${name} takes no argument ${first} (see ${name} --help)`);
  const needsArn = def.options['instance-arn'] !== undefined && !head.some((w) => w === '--instance-arn' || w.startsWith('--instance-arn=')) && looksLikeInstance(stray[0] as string);
  const command = needsArn ? stray.slice(1) : stray;
  const flags = head.filter((w) => !stray.includes(w));
  const suggestion = [name, ...flags, ...(needsArn ? ['--instance-arn', stray[0] as string] : []), '--', ...command].join(' ');
  throw new LkpError('UsageError', `unexpected argument ${first}: ${needsArn ? 'name the instance with --instance-arn, and put ' : 'put '}${def.trailing} after --, e.g. ${suggestion}`);
};

/** Parses argv for one definition without yargs; undefined when yargs should decide. */
export const parseFast = (argv: readonly string[], def: CommandDef, parseArgs: typeof import('node:util').parseArgs): Args | undefined => {
  if (!def.fast || def.path.some((p, i) => argv[i] !== p)) return undefined;
  const rest = argv.slice(def.path.length);
  const dd = rest.indexOf('--');
  const head = dd >= 0 ? rest.slice(0, dd) : rest;
  const tail = dd >= 0 ? rest.slice(dd + 1) : [];
  if (head.some((a) => a === '--help' || a === '-h' || a === '--version')) return undefined;
  // A word right after the path may name a subcommand (`host status`): yargs knows them all.
  if (!def.trailing && head[0] !== undefined && !head[0].startsWith('-')) return undefined;
  checkWords(head, def);
  // An option given twice (or as both --x and --no-x) is yargs' to judge: order matters there.
  const seen = new Map<string, number>();
  for (const a of head) {
    if (!a.startsWith('--')) continue;
    const name = (a.slice(2).split('=')[0] as string).replace(/^no-/, (m) => (def.options[a.slice(5).split('=')[0] as string]?.type === 'boolean' ? '' : m));
    seen.set(name, (seen.get(name) ?? 0) + 1);
  }
  for (const [name, count] of seen) if (count > 1 && def.options[name]?.type !== 'strings') return undefined;
  const negated: Record<string, boolean> = {};
  const kept = head.filter((a) => {
    const m = /^--no-(.+)$/.exec(a);
    if (m && def.options[m[1] as string]?.type === 'boolean') {
      negated[m[1] as string] = false;
      return false;
    }
    return true;
  });
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    values = parseArgs({
      args: kept,
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(Object.entries(def.options).map(([n, s]) => [n, { type: s.type === 'boolean' ? 'boolean' : 'string', ...(s.type === 'strings' ? { multiple: true } : {}) }])),
    }).values as typeof values;
  } catch {
    return undefined;
  }
  const out: Record<string, string | boolean | number | string[] | undefined> = {};
  for (const [name, s] of Object.entries(def.options)) {
    let v: string | boolean | number | string[] | undefined = name in negated ? negated[name] : (values[name] as string | boolean | string[] | undefined);
    if (v === undefined) v = s.default;
    if (v === undefined) {
      if (s.demand) return undefined;
      continue;
    }
    if (s.type === 'number') {
      if (typeof v === 'string' && !/^\d{1,9}$/.test(v)) return undefined;
      v = Number(v);
    }
    if (s.choices && !s.choices.includes(String(v))) return undefined;
    out[name] = v;
  }
  for (const [name, s] of Object.entries(def.options)) if (s.conflicts && values[name] !== undefined && values[s.conflicts] !== undefined) return undefined;
  return { ...out, '--': tail };
};
