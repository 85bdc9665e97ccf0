// Shared helpers for kernel tests. The rules they keep (and every kernel test must keep):
// never change the namespace the tests run in; make throwaway namespaces named after the pid
// (makeHostNs) and remove them in a finally / afterAll, also on failure; send traffic only inside
// them; bound every wait.
//
//   import { requireRoot, makeHostNs, runCli } from './helpers/index.js';
//   const kernel = requireRoot();
//   describe.skipIf(!kernel)('…', () => {
//     let host: HostNs;
//     beforeAll(async () => (host = await makeHostNs('bridge')));
//     afterAll(() => host?.cleanup());
//     it('…', async () => {
//       const dir = host.writeSpec({ 'n.yaml': 'networks: { a: { subnet: 10.1.0.0/24 } }' });
//       const r = await runCli(['reconcile', '--once', '--netns', host.name, '--state-dir', host.stateDir, dir]);
//       expect(r.code, r.stderr).toBe(0);
//     });
//   });
export { requireRoot, kernelUnavailable } from './root.js';
export { run, mustRun, sleep, type RunResult, type RunOptions } from './proc.js';
export {
  makeHostNs,
  outsideNs,
  inNs,
  ping,
  batch,
  listNamespaces,
  namespacesUnder,
  deleteNamespaces,
  type HostNs,
  type OutsideNs,
  type OutsideOptions,
} from './netns.js';
export { tcpServer, tcpConnect, type TcpServer } from './tcp.js';
export { runCli, repoRoot, cliPath, type CliOptions } from './cli.js';
export { startController, type Controller, type LogRecord, type Status } from './controller.js';
export { joinUnderlay, type UnderlayHost } from './underlay.js';
export { capture, type Capture } from './capture.js';
