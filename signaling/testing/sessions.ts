import { clientIdFor } from '../../protocol/session-secret.ts';

/** A CLI session's credentials for tests: `{ clientId, secret }`, spread into a gateway-connect payload. */
export function session(name: string): { readonly clientId: string; readonly secret: string } {
  const secret = `test-session-secret-${name}`;
  return { clientId: clientIdFor(secret), secret };
}
