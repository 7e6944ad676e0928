import { LIMITS } from './signaling-events.ts';

/**
 * Signaling server URLs as servers publish them and tabs use them: origins only
 * (`http(s)://host:port`), each once, at most LIMITS.serverUrls. Shared by the server
 * (server-directory.ts) and the browser (client-app/app/server-rotation.ts), so it imports no
 * Node module.
 */

/** The URLs in order, each once (compared by origin), at most LIMITS.serverUrls; anything that is not an http(s) URL is left out. */
export function mergeUrls(...lists: readonly (readonly unknown[])[]): string[] {
  const seen = new Set<string>();
  const merged: string[] = [];
  for (const url of lists.flat()) {
    const origin = originOf(url);
    if (origin === null || seen.has(origin)) continue;
    seen.add(origin);
    merged.push(origin);
    if (merged.length === LIMITS.serverUrls) break;
  }
  return merged;
}

/** `http(s)://host:port` of a URL, or null for anything else. */
export function originOf(url: unknown): string | null {
  if (typeof url !== 'string' || url.length > LIMITS.serverUrlLength) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : null;
  } catch {
    return null;
  }
}
