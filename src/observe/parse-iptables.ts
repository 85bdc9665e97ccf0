// Pure parsing of `iptables-save` into the owned part of the firewall model.
import type { Firewall, Table, TableName } from '../model/state.js';

const TABLES: readonly TableName[] = ['filter', 'nat', 'raw', 'mangle'];
const OWNED_CHAIN_PREFIX = 'WIRESTATE-';
/** The user's chain: wirestate makes sure it exists and never looks inside. */
const USER_CHAIN = 'WIRESTATE-USER';

/** iptables-save prints a comment without spaces unquoted and one with spaces in double quotes. */
const JUMP_MARK = /(?:^| )-m comment --comment (?:wirestate|"wirestate[^"]*")(?: |$)/;
export const isWirestateJump = (rule: string): boolean => JUMP_MARK.test(rule);

const emptyTable = (): Table => ({ chains: {}, jumps: {} });

/** Every table of the model is present in the result, empty when the kernel has nothing of ours in it. */
export function parseIptablesSave(text: string): Firewall {
  const tables: Record<TableName, Table> = { filter: emptyTable(), nat: emptyTable(), raw: emptyTable(), mangle: emptyTable() };
  let table: Table | undefined;
  let builtins = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      table = (TABLES as readonly string[]).includes(name) ? tables[name as TableName] : undefined;
      builtins = new Set();
    } else if (!table) {
      continue;
    } else if (line.startsWith(':')) {
      // ":CHAIN POLICY [packets:bytes]"; user chains have policy "-".
      const [chain = '', policy] = line.slice(1).split(' ');
      if (policy !== '-') builtins.add(chain);
      else if (chain === USER_CHAIN) table.chains[chain] = null;
      else if (chain.startsWith(OWNED_CHAIN_PREFIX)) table.chains[chain] = [];
    } else if (line.startsWith('-A ')) {
      const space = line.indexOf(' ', 3);
      const chain = line.slice(3, space < 0 ? undefined : space);
      const rule = space < 0 ? '' : line.slice(space + 1);
      const rules = table.chains[chain];
      if (rules) rules.push(rule);
      else if (builtins.has(chain) && isWirestateJump(rule)) (table.jumps[chain] ??= []).push(rule);
    }
  }
  return { tables };
}
