// Domain Profile -> proto User. Never copies a credential (hash, counters, lock state).
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type User, UserSchema, UserStatus } from "../../gen/authd/v1/common_pb.js";
import type { Profile } from "../domain/accounts/profile.js";

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
  });
}
