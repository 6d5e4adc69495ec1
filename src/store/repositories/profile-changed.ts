// The hook a repository calls in each write that changes what GetCurrentUser shows (the profile:
// domain/accounts/profile.ts, an account without its credentials, and whether it has an active
// second factor). The profile cache (domain/accounts/profile-cache.ts) forgets the account, or
// every account when the write does not know whose; store/unit-of-work.ts calls it again when the
// transaction settles. Which writes call it is said at each one, so none is decided by its name.
export type ProfileChanged = (userId?: string) => void;
