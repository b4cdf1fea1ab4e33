// The JSON shapes clients send (before parsing on the signer side): what goes on the wire.

export type WireIdentity = { method: 'join-token'; token: string } | { method: 'aws'; proof: { url: string; method: string; headers: Record<string, string>; body: string } };

export type SignerRequestBody =
  | { version: 1; action: 'ca-keys' }
  | { version: 1; action: 'krl' }
  | { version: 1; action: 'host-cert'; identity: WireIdentity; publicKeys: string[]; validitySeconds?: number }
  | { version: 1; action: 'user-cert'; identity: WireIdentity; publicKey: string; login: string; target: string; validitySeconds?: number };
