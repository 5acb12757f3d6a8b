// `swim-native demo` (the package bin, also `npm start`): runs, shows the transitions, exits 0.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Child, ROOT } from './helpers/child';

const CLI = path.join(ROOT, 'dist', 'cli.js');

describe('swim-native CLI', () => {
  it('demo: converges, a killed member goes suspected then dead, a quitting one leaves, exit 0', async () => {
    const res = await new Child([CLI, 'demo']).exited;
    expect(res.stderr).toBe('');
    expect(res).toMatchObject({ code: 0, signal: null });
    const out = res.stdout;
    expect(out).toMatch(/started 5 members/);
    expect(out).toMatch(/fullmesh: every member sees all 5/);
    // The membership table, with every member alive after convergence.
    expect(out).toMatch(/m1 sees {3}self {4}alive {3}alive {3}alive {3}alive/);
    // m5 is killed: suspected somewhere first, then dead for each of m1..m4.
    const suspected = out.search(/m\d sees m5: alive -> suspected/);
    expect(suspected).toBeGreaterThan(0);
    for (let i = 1; i <= 4; i++) {
      const dead = out.search(new RegExp(`m${i} sees m5: (alive|suspected) -> dead`));
      expect(dead, `m${i} sees m5 dead`).toBeGreaterThan(0);
      expect(dead).toBeGreaterThan(out.indexOf('killing m5'));
    }
    expect(out.indexOf('m5 is dead for everyone')).toBeGreaterThan(suspected);
    // m4 quits: m1..m3 see it leave.
    for (let i = 1; i <= 3; i++) expect(out).toMatch(new RegExp(`m${i} sees m4: alive -> left`));
    expect(out).toMatch(/m4 has left for everyone/);
    expect(out.trimEnd().endsWith('demo done')).toBe(true);
  });

  it('prints usage for --help (exit 0) and for an unknown command (exit 2)', async () => {
    const help = await new Child([CLI, '--help']).exited;
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: swim-native demo/);
    const bad = await new Child([CLI, 'frobnicate']).exited;
    expect(bad.code).toBe(2);
    const badArg = await new Child([CLI, 'demo', '--members', 'x']).exited;
    expect(badArg.code).toBe(2);
    expect(badArg.stderr).toMatch(/--members needs a positive number/);
  });
});
