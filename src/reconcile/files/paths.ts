// Where an endpoint's files go: /etc/netns/<namespace>/, which `ip netns exec` (and so
// `wirestate exec`) bind-mounts over /etc — every file there must exist in /etc too.
export const ETC_NETNS = '/etc/netns';

export const ENDPOINT_FILES = ['resolv.conf', 'hosts', 'environment'] as const;
export type EndpointFile = (typeof ENDPOINT_FILES)[number];

/** Only a namespace named under /run/netns has an /etc/netns directory; one given as a path has none. */
export const hasEtcDir = (netns: string): boolean => !netns.includes('/');

export const etcDir = (netns: string): string => `${ETC_NETNS}/${netns}`;
export const endpointFile = (netns: string, file: EndpointFile): string => `${etcDir(netns)}/${file}`;
