import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// src/ssh is the pure core: no file system, network, processes, AWS or clock. This keeps
// every certificate decision testable as a function of its inputs.
const FORBIDDEN = [/from 'node:(fs|fs\/promises|net|http|https|child_process|dgram|os)'/, /from '@aws-sdk\//, /from 'execa'/, /Date\.now\(\)/, /new Date\(\)/, /process\.env/];

describe('src/ssh purity', () => {
  const dir = path.resolve('src/ssh');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    it(`ok/${file} has no I/O or clock`, () => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      for (const re of FORBIDDEN) expect(text, `${file} matches ${re}`).not.toMatch(re);
    });
  }
});
