// The spellings of a token that differ only in the unused trailing bits of its signature's last character.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Every spelling of a base64url string's last character that decodes to the same bytes. */
export function spellings(token: string): string[] {
  const sigLength = token.length - token.lastIndexOf('.') - 1;
  const unused = sigLength % 4 === 2 ? 4 : sigLength % 4 === 3 ? 2 : 0;
  const base = ALPHABET.indexOf(token.at(-1)!) & ~((1 << unused) - 1);
  return Array.from({ length: 1 << unused }, (_, i) => token.slice(0, -1) + ALPHABET[base | i]);
}
