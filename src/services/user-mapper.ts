// Account entity -> proto User. Never copies a credential (hash, counters, lock state).
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type User, UserSchema, UserStatus } from "../../gen/authd/v1/common_pb.js";
import type { UserEntity } from "../store/entities/user.js";

export function toUserProto(user: UserEntity, mfaEnabled = false): User {
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
    mfaEnabled,
    createTime: timestampFromMs(user.createdAt),
    updateTime: timestampFromMs(user.updatedAt),
  });
}
