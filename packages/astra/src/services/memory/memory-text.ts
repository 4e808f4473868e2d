import { createHash } from 'node:crypto';

/**
 * The two hashes dedup compares before anything is embedded or sent to a model: the SHA-256 of
 * the text as written, and of its normalised form (Unicode NFKC, lower case, every run of
 * characters that are not letters or digits made one space, trimmed), so "The deploy failed!" and
 * "the deploy  failed" are the same fact.
 */
export function normalizeMemoryText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
