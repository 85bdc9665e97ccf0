// How the command line reads --sandbox: a name only when attached, so the next word stays an argument.
import { describe, expect, it } from 'vitest';
import { bareSandboxFlag } from '../../src/cli/argv.js';

describe('bareSandboxFlag', () => {
  it('leaves the next word to the command: a spec directory, an endpoint', () => {
    expect(bareSandboxFlag(['node', 'wirestate', 'reconcile', '--once', '--sandbox', 'examples/networks'])).toEqual(['node', 'wirestate', 'reconcile', '--once', '--sandbox=wirestate-sandbox', 'examples/networks']);
    expect(bareSandboxFlag(['node', 'wirestate', 'exec', '--sandbox', 'api', '--', 'ping', '-c1', '10.20.0.20'])).toEqual(['node', 'wirestate', 'exec', '--sandbox=wirestate-sandbox', 'api', '--', 'ping', '-c1', '10.20.0.20']);
  });

  it('keeps a name given as --sandbox=NAME, and whatever follows --', () => {
    expect(bareSandboxFlag(['node', 'wirestate', 'network', 'ls', '--sandbox=lab'])).toEqual(['node', 'wirestate', 'network', 'ls', '--sandbox=lab']);
    expect(bareSandboxFlag(['node', 'wirestate', 'exec', '--sandbox', 'web', '--', 'tool', '--sandbox'])).toEqual(['node', 'wirestate', 'exec', '--sandbox=wirestate-sandbox', 'web', '--', 'tool', '--sandbox']);
  });
});
