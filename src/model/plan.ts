// A plan is data: the ordered changes that turn Observed into Desired.
import type { Address, FdbEntry, Link, NamespaceState, Neighbour, Route, Service, TableName, XfrmPolicy, XfrmState } from './state.js';

export type Action = 'create' | 'update' | 'delete';

interface ChangeBase {
  action: Action;
  /** Namespace key in HostState (HOST_NS or the endpoint namespace's name). */
  namespace: string;
  /** A human identity for the object: "ws-front", "10.0.0.2/24 dev eth0", "filter/WIRESTATE-FORWARD". */
  name: string;
}

export type Change =
  | (ChangeBase & { kind: 'namespace'; desired?: NamespaceState; observed?: NamespaceState })
  | (ChangeBase & { kind: 'link'; desired?: Link; observed?: Link; replace?: boolean })
  | (ChangeBase & { kind: 'address'; desired?: Address; observed?: Address })
  | (ChangeBase & { kind: 'route'; desired?: Route; observed?: Route })
  | (ChangeBase & { kind: 'neighbour'; desired?: Neighbour; observed?: Neighbour })
  | (ChangeBase & { kind: 'fdb'; desired?: FdbEntry; observed?: FdbEntry })
  | (ChangeBase & { kind: 'xfrm-state'; desired?: XfrmState; observed?: XfrmState })
  | (ChangeBase & { kind: 'xfrm-policy'; desired?: XfrmPolicy; observed?: XfrmPolicy })
  | (ChangeBase & { kind: 'sysctl'; key: string; value: string; previous?: string })
  | (ChangeBase & {
      kind: 'chain';
      table: TableName;
      chain: string;
      /** Full desired rules (null: user chain, create empty only). */
      rules?: string[] | null;
      /** Rules observed before (absent when the chain did not exist). */
      previous?: string[] | null;
      /** Rule-level view for people: "+ rule" / "- rule". */
      detail: string[];
    })
  | (ChangeBase & { kind: 'jumps'; table: TableName; chain: string; rules: string[]; previous: string[]; detail: string[] })
  | (ChangeBase & {
      kind: 'file';
      /** Absolute path (also the change's name). */
      path: string;
      /** Desired content (absent when deleted). */
      content?: string;
      /** Content found (absent when the file did not exist). */
      previous?: string;
      /** Line-level view for people, unified-diff-like: "@@ -3,2 +3,2 @@", "  same", "- found", "+ wanted". */
      detail: string[];
    })
  | (ChangeBase & { kind: 'service'; desired?: Service; observed?: Service });

export type ChangeKind = Change['kind'];

export interface Plan {
  changes: Change[];
}
