/**
 * The few WebRTC shapes that code run inside a page (`page.evaluate`) uses, typed by hand: the
 * root tsconfig type-checks Node code without the DOM lib, so that core/ cannot touch the DOM.
 * Shared by the smoke test and the benchmarks' baselines.
 */

export interface SessionDescription {
  readonly type: 'offer' | 'answer';
  readonly sdp: string;
}

export interface DataChannel {
  readonly readyState: string;
  send(data: string): void;
  addEventListener(type: 'open' | 'message', listener: (event: { readonly data?: unknown }) => void): void;
}

export interface PeerConnection {
  readonly localDescription: SessionDescription | null;
  readonly iceGatheringState: string;
  readonly connectionState: string;
  createDataChannel(label: string): DataChannel;
  createOffer(): Promise<SessionDescription>;
  createAnswer(): Promise<SessionDescription>;
  setLocalDescription(description: SessionDescription): Promise<void>;
  setRemoteDescription(description: SessionDescription): Promise<void>;
  addEventListener(type: 'icegatheringstatechange', listener: () => void): void;
  addEventListener(type: 'datachannel', listener: (event: { readonly channel: DataChannel }) => void): void;
  close(): void;
}
