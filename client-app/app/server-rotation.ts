import { mergeUrls, originOf } from '../../protocol/server-urls.ts';

/**
 * Which signaling server a tab connects to next. The page's own origin comes first (it served
 * the page, and in a single-server deployment it is the only one); then the servers the
 * deployment publishes (join reply, `signaling-servers`). Each reconnect moves on to the next,
 * so a tab whose server died tries another at once, and a tab whose only server restarts keeps
 * trying that one.
 */
export class ServerRotation {
  private urls: string[];
  private currentUrl: string;

  constructor(home: string) {
    const origin = originOf(home);
    if (origin === null) throw new Error(`not an http(s) URL: ${home}`);
    this.urls = [origin];
    this.currentUrl = origin;
  }

  get current(): string {
    return this.currentUrl;
  }

  /** Every known server, the page's origin first. */
  list(): string[] {
    return [...this.urls];
  }

  /** Takes the deployment's list (untrusted input: anything but http(s) URLs is ignored). */
  update(published: unknown): void {
    if (!Array.isArray(published)) return;
    this.urls = mergeUrls([this.urls[0]], published);
  }

  /** The server to try next after the current one failed. */
  advance(): string {
    const index = this.urls.indexOf(this.currentUrl);
    this.currentUrl = this.urls[(index + 1) % this.urls.length] ?? this.urls[0]!;
    return this.currentUrl;
  }
}
