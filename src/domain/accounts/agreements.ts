// Which terms-of-service and privacy-policy versions an account accepted at registration, and when.
// A deployment may require one version of each (AUTHD_REQUIRED_TERMS_VERSION, ..._PRIVACY_VERSION):
// Register then refuses any other, so no account exists that did not accept the current texts, and
// UpdateCurrentUser accepts only that one when the texts change later.
import { invalidArgument } from "../errors.js";
import type { ProfileRecords } from "./persistence.js";

const MAX_VERSION_LENGTH = 64;

/** The accepted version as given; refused when it is not the required one or not a short label. */
export function checkAcceptedVersion(raw: string, required: string | undefined, field: string): string {
  const version = raw.trim();
  if (required !== undefined && version !== required) {
    throw invalidArgument(
      field,
      version === "" ? `is required (version ${required})` : `must be ${required}`,
    );
  }
  if (version.length > MAX_VERSION_LENGTH) {
    throw invalidArgument(field, `must be at most ${MAX_VERSION_LENGTH} characters`);
  }
  if (/\p{Cc}/u.test(version)) throw invalidArgument(field, "must not contain control characters");
  return version;
}

type Versions = { terms?: string | undefined; privacy?: string | undefined };

/**
 * Newer versions accepted later (UpdateCurrentUser), each recorded at `now`: the rules of
 * `checkAcceptedVersion`, and not empty, since an acceptance is not withdrawn by clearing it.
 */
export function laterAcceptances(
  accepted: Versions,
  required: Versions,
  now: number,
): Partial<Pick<ProfileRecords, AgreementField>> {
  const check = (raw: string, requiredVersion: string | undefined, field: string) => {
    const version = checkAcceptedVersion(raw, requiredVersion, field);
    if (version === "") throw invalidArgument(field, "must not be empty");
    return version;
  };
  return {
    ...(accepted.terms === undefined
      ? {}
      : {
          acceptedTermsVersion: check(accepted.terms, required.terms, "accepted_terms_version"),
          termsAcceptedAt: now,
        }),
    ...(accepted.privacy === undefined
      ? {}
      : {
          acceptedPrivacyVersion: check(accepted.privacy, required.privacy, "accepted_privacy_version"),
          privacyAcceptedAt: now,
        }),
  };
}

type AgreementField =
  | "acceptedTermsVersion"
  | "termsAcceptedAt"
  | "acceptedPrivacyVersion"
  | "privacyAcceptedAt";

/** The record of a registration's agreements, accepted at `now` (the time of the request). */
export function acceptedAgreements(work: {
  agreements?: { terms: string; privacy: string };
  now: number;
}): Pick<ProfileRecords, AgreementField> {
  const terms = work.agreements?.terms ?? "";
  const privacy = work.agreements?.privacy ?? "";
  return {
    acceptedTermsVersion: terms,
    termsAcceptedAt: terms === "" ? null : work.now,
    acceptedPrivacyVersion: privacy,
    privacyAcceptedAt: privacy === "" ? null : work.now,
  };
}
