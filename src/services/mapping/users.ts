// The account's messages: the domain's Profile -> User (never a credential: hash, counters, lock
// state), and the requests that make or change an account -> the domain's inputs.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { RegisterRequest, UpdateCurrentUserRequest } from "../../../gen/authd/v1/auth_pb.js";
import {
  type PostalAddress,
  PostalAddressSchema,
  type User,
  UserSchema,
  UserStatus,
} from "../../../gen/authd/v1/common_pb.js";
import type { Principal } from "../../context.js";
import {
  type PostalAddress as DomainPostalAddress,
  type Profile,
  type ProfileChanges,
  type ProfileFieldChanges,
  type RegisterInput,
  withoutPersonalFields,
} from "../../domain/accounts/index.js";
import { holdsScope } from "../caller.js";

/**
 * The account as `viewer` may read it, whoever's it is (GetCurrentUser, AdminService): an API key
 * without `profile:personal` reads the personal fields as unset; a signed-in session reads them all.
 */
export function toUserMessage(user: Profile, viewer: Principal): User {
  const seen = holdsScope(viewer, "profile:personal") ? user : withoutPersonalFields(user);
  return create(UserSchema, {
    id: seen.id,
    email: seen.email,
    emailVerified: seen.emailVerified,
    username: seen.username ?? "",
    firstName: seen.firstName,
    lastName: seen.lastName,
    mobile: seen.mobile,
    mobileVerified: seen.mobileVerified,
    language: seen.language,
    timezone: seen.timezone,
    settings: seen.settings,
    status: seen.status === "active" ? UserStatus.ACTIVE : UserStatus.DEACTIVATED,
    tenantId: seen.tenantId ?? "",
    roles: seen.roles,
    mfaEnabled: seen.mfaEnabled,
    createTime: timestampFromMs(seen.createdAt),
    updateTime: timestampFromMs(seen.updatedAt),
    birthDate: seen.birthDate,
    gender: seen.gender,
    title: seen.title,
    maritalStatus: seen.maritalStatus,
    nationality: seen.nationality,
    residency: seen.residency,
    idNumber: seen.idNumber,
    department: seen.department,
    jobTitle: seen.jobTitle,
    postalAddress: seen.postalAddress ? create(PostalAddressSchema, seen.postalAddress) : undefined,
    avatarUrl: seen.avatarUrl,
    externalCustomerId: seen.externalCustomerId,
    lastSignInTime: optionalTimestamp(seen.lastSignInAt),
    acceptedTermsVersion: seen.acceptedTermsVersion,
    termsAcceptTime: optionalTimestamp(seen.termsAcceptedAt),
    acceptedPrivacyVersion: seen.acceptedPrivacyVersion,
    privacyAcceptTime: optionalTimestamp(seen.privacyAcceptedAt),
  });
}

function optionalTimestamp(ms: number | null) {
  return ms === null ? undefined : timestampFromMs(ms);
}

/** A Register request (or RegisterCompany's `user`; unset reads as every field empty). */
export function fromRegisterRequest(req: RegisterRequest | undefined): RegisterInput {
  return {
    email: req?.email ?? "",
    password: req?.password ?? "",
    username: req?.username ?? "",
    firstName: req?.firstName ?? "",
    lastName: req?.lastName ?? "",
    mobile: req?.mobile ?? "",
    language: req?.language ?? "",
    timezone: req?.timezone ?? "",
    captchaToken: req?.captchaToken ?? "",
    acceptedTermsVersion: req?.acceptedTermsVersion ?? "",
    acceptedPrivacyVersion: req?.acceptedPrivacyVersion ?? "",
    continueUrl: req?.continueUrl ?? "",
    tenant: req?.tenant ?? "",
  };
}

/** An UpdateCurrentUser request: each field left unset is left alone. */
export function fromUpdateCurrentUserRequest(
  req: UpdateCurrentUserRequest,
): ProfileChanges & { fields: ProfileFieldChanges } {
  return {
    email: req.email,
    username: req.username,
    firstName: req.firstName,
    lastName: req.lastName,
    mobile: req.mobile,
    language: req.language,
    timezone: req.timezone,
    settings: req.settings,
    removeSettings: req.removeSettings,
    currentPassword: req.currentPassword,
    fields: {
      birthDate: req.birthDate,
      gender: req.gender,
      title: req.title,
      maritalStatus: req.maritalStatus,
      nationality: req.nationality,
      residency: req.residency,
      idNumber: req.idNumber,
      department: req.department,
      jobTitle: req.jobTitle,
      postalAddress: fromPostalAddress(req.postalAddress),
      avatarUrl: req.avatarUrl,
      externalCustomerId: req.externalCustomerId,
    },
    acceptedTermsVersion: req.acceptedTermsVersion,
    acceptedPrivacyVersion: req.acceptedPrivacyVersion,
    continueUrl: req.continueUrl,
  };
}

/** A request's PostalAddress: unset leaves the address alone; an empty one removes it. */
export function fromPostalAddress(
  address: PostalAddress | undefined,
): DomainPostalAddress | null | undefined {
  if (address === undefined) return undefined;
  const { lines, locality, region, postalCode, country } = address;
  return { lines: [...lines], locality, region, postalCode, country };
}
