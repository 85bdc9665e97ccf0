// The IPsec of encrypted overlays: ESP in transport mode with AES-256-GCM (rfc4106), one security
// association per direction per pair of hosts per network. Pure.
//
// The key file holds long-lived keys; the kernel never sees them. Each SA gets a key of its own,
// derived with HKDF from a file key and the SA's identity: GCM's IV is ESP's sequence number, so
// two SAs sharing a key would repeat nonces, which breaks GCM.
import { createHash, hkdfSync } from 'node:crypto';

export const ESP_ALGORITHM = 'rfc4106(gcm(aes))';
export const ESP_ICV_BITS = 128;
/** A 256-bit AES key followed by the 4-byte salt rfc4106 takes with it. */
const SA_KEY_BYTES = 36;
const MIN_KEY_BYTES = 32;
const HKDF_SALT = 'wirestate esp v1';

/** What the model shows of a key: enough to tell two apart, nothing to recover one from. */
export const keyDigest = (hexKey: string): string => `sha256:${createHash('sha256').update(hexKey.toLowerCase()).digest('hex').slice(0, 16)}`;

/**
 * A key file: one hex key of 32 bytes or more a line (an optional 0x prefix; blank lines and
 * lines starting with # skipped). Problems name the line, never its content.
 */
export function parseKeyFile(text: string): { keys: { hex: string; line: number }[] } | { problem: string } {
  const keys: { hex: string; line: number }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const hex = raw.replace(/^0x/i, '');
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex) || hex.length < 2 * MIN_KEY_BYTES) return { problem: `line ${i + 1} is not a hex key of ${MIN_KEY_BYTES} bytes or more` };
    keys.push({ hex: hex.toLowerCase(), line: i + 1 });
  }
  return keys.length ? { keys } : { problem: 'holds no key' };
}

/** The key of one SA: `info` names the network and the direction, so every SA has its own. */
export function saKey(fileKeyHex: string, info: string): string {
  return Buffer.from(hkdfSync('sha256', Buffer.from(fileKeyHex, 'hex'), HKDF_SALT, info, SA_KEY_BYTES)).toString('hex');
}

/** The SA's SPI, the same on both hosts: from its identity and key, above the 1–255 IANA keeps. */
export function saSpi(info: string, digest: string): number {
  const spi = createHash('sha256').update(`${info}\0${digest}`).digest().readUInt32BE(0);
  return spi < 0x100 ? spi + 0x100 : spi;
}
