// Which terms-of-service and privacy-policy versions an account accepted at registration, and when.
// A deployment may require one version of each (AUTHD_REQUIRED_TERMS_VERSION, ..._PRIVACY_VERSION):
// Register then refuses any other, so no account exists that did not accept the current texts.
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

/**
 * A newer version accepted later (UpdateCurrentUser): the rules of `checkAcceptedVersion`, and not
 * empty, since an acceptance is not withdrawn by clearing it.
 */
export function checkLaterAcceptance(raw: string, required: string | undefined, field: string): string {
  const version = checkAcceptedVersion(raw, required, field);
  if (version === "") throw invalidArgument(field, "must not be empty");
  return version;
}

/** The record of a registration's agreements, accepted at `now` (the time of the request). */
export function acceptedAgreements(work: {
  agreements?: { terms: string; privacy: string };
  now: number;
}): Pick<
  ProfileRecords,
  "acceptedTermsVersion" | "termsAcceptedAt" | "acceptedPrivacyVersion" | "privacyAcceptedAt"
> {
  const terms = work.agreements?.terms ?? "";
  const privacy = work.agreements?.privacy ?? "";
  return {
    acceptedTermsVersion: terms,
    termsAcceptedAt: terms === "" ? null : work.now,
    acceptedPrivacyVersion: privacy,
    privacyAcceptedAt: privacy === "" ? null : work.now,
  };
}
