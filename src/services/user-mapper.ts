// Domain Profile -> proto User. Never copies a credential (hash, counters, lock state).
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type PostalAddress,
  PostalAddressSchema,
  type User,
  UserSchema,
  UserStatus,
} from "../../gen/authd/v1/common_pb.js";
import type { Principal } from "../context.js";
import type { Profile } from "../domain/accounts/profile.js";
import {
  type PostalAddress as DomainPostalAddress,
  withoutPersonalFields,
} from "../domain/accounts/profile-fields.js";
import { holdsScope } from "./caller.js";

export function toUserProto(user: Profile): User {
  return create(UserSchema, {
    id: user.id,
    email: user.email,
    emailVerified: user.emailVerified,
    username: user.username ?? "",
    firstName: user.firstName,
    lastName: user.lastName,
    mobile: user.mobile,
    mobileVerified: user.mobileVerified,
    language: user.language,
    timezone: user.timezone,
    settings: user.settings,
    status: user.status === "active" ? UserStatus.ACTIVE : UserStatus.DEACTIVATED,
    tenantId: user.tenantId ?? "",
    roles: user.roles,
    mfaEnabled: user.mfaEnabled,
    createTime: timestampFromMs(user.createdAt),
    updateTime: timestampFromMs(user.updatedAt),
    birthDate: user.birthDate,
    gender: user.gender,
    title: user.title,
    maritalStatus: user.maritalStatus,
    nationality: user.nationality,
    residency: user.residency,
    idNumber: user.idNumber,
    department: user.department,
    jobTitle: user.jobTitle,
    postalAddress: user.postalAddress ? create(PostalAddressSchema, user.postalAddress) : undefined,
    avatarUrl: user.avatarUrl,
    externalCustomerId: user.externalCustomerId,
    lastSignInTime: optionalTimestamp(user.lastSignInAt),
    acceptedTermsVersion: user.acceptedTermsVersion,
    termsAcceptTime: optionalTimestamp(user.termsAcceptedAt),
    acceptedPrivacyVersion: user.acceptedPrivacyVersion,
    privacyAcceptTime: optionalTimestamp(user.privacyAcceptedAt),
  });
}

/**
 * The account as `viewer` may read it, whoever's it is (GetCurrentUser, AdminService): an API key
 * without `profile:personal` reads the personal fields as unset; a signed-in session reads them all.
 */
export function userSeenBy(viewer: Principal, user: Profile): User {
  return toUserProto(holdsScope(viewer, "profile:personal") ? user : withoutPersonalFields(user));
}

function optionalTimestamp(ms: number | null) {
  return ms === null ? undefined : timestampFromMs(ms);
}

/** A request's PostalAddress: unset leaves the address alone; an empty one removes it. */
export function postalAddressChange(
  address: PostalAddress | undefined,
): DomainPostalAddress | null | undefined {
  if (address === undefined) return undefined;
  const { lines, locality, region, postalCode, country } = address;
  return { lines: [...lines], locality, region, postalCode, country };
}
