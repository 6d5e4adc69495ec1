// Storage for one upstream oidc-provider instance: a Map per provider, dropped with it. oidc-provider's
// built-in memory adapter works too, but prints a warning on every start that it is for development
// only (which is what a test peer is); this one is as small, and its expiry is plain to read.
//
// The adapter contract (oidc-provider's example adapter): one adapter object per model name
// ("Session", "AccessToken", "AuthorizationCode", "Grant", ...), each storing payloads by id, with
// lookups of sessions by uid, consumption of single-use artifacts, and revocation of everything a
// grant issued.

type Payload = Record<string, unknown> & { uid?: string; grantId?: string; userCode?: string };

interface Entry {
  payload: Payload;
  /** Epoch milliseconds; undefined: kept until the provider closes. */
  expiresAt?: number;
}

export function memoryAdapter(): (model: string) => object {
  const entries = new Map<string, Entry>();
  const live = (key: string): Payload | undefined => {
    const entry = entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) entries.delete(key);
    else return entry?.payload;
    return undefined;
  };
  const findWhere = (model: string, field: "uid" | "userCode", value: string): Payload | undefined => {
    for (const key of entries.keys()) {
      if (key.startsWith(`${model}:`) && entries.get(key)?.payload[field] === value) return live(key);
    }
    return undefined;
  };
  return (model) => ({
    async upsert(id: string, payload: Payload, expiresIn?: number) {
      entries.set(`${model}:${id}`, {
        payload,
        expiresAt: typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : undefined,
      });
    },
    async find(id: string) {
      return live(`${model}:${id}`);
    },
    async findByUid(uid: string) {
      return findWhere(model, "uid", uid);
    },
    async findByUserCode(userCode: string) {
      return findWhere(model, "userCode", userCode);
    },
    /** Marks a single-use artifact (an authorization code) used; oidc-provider refuses it after. */
    async consume(id: string) {
      const payload = live(`${model}:${id}`);
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    },
    async destroy(id: string) {
      entries.delete(`${model}:${id}`);
    },
    /** Everything issued under a grant goes at once (a code used twice revokes its tokens). */
    async revokeByGrantId(grantId: string) {
      for (const [key, entry] of entries) if (entry.payload.grantId === grantId) entries.delete(key);
    },
  });
}
