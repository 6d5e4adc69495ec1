// Administration's messages: AdminService's user requests to the Administration face's inputs, and
// its audit events to proto. Users themselves are mapped as GetCurrentUser's are (toUserMessage).
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type {
  AuditEventSchema,
  CreateUserRequest,
  ListAuditEventsRequest,
  ListUsersRequest,
  UpdateUserRequest,
} from "../../../gen/authd/v1/admin_pb.js";
import { UserStatus } from "../../../gen/authd/v1/common_pb.js";
import type {
  AuditEventRecord,
  AuditEventsInput,
  CreateUserInput,
  ListUsersInput,
  UpdateUserInput,
} from "../../domain/administration/index.js";

export function toAuditEventMessage(event: AuditEventRecord): MessageInitShape<typeof AuditEventSchema> {
  return {
    id: String(event.id),
    time: timestampFromMs(event.at),
    type: event.type,
    userId: event.userId ?? "",
    ipAddress: event.ip,
    userAgent: event.userAgent,
    detailJson: JSON.stringify(event.detail),
  };
}

/** USER_STATUS_UNSPECIFIED: no filter / no change. */
function fromUserStatus(status: UserStatus): "active" | "deactivated" | undefined {
  if (status === UserStatus.ACTIVE) return "active";
  if (status === UserStatus.DEACTIVATED) return "deactivated";
  return undefined;
}

export function fromListUsersRequest(req: ListUsersRequest): ListUsersInput {
  return {
    tenant: req.tenant,
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    emailPrefix: req.emailPrefix,
    status: fromUserStatus(req.status),
    role: req.role,
  };
}

export function fromCreateUserRequest(req: CreateUserRequest): CreateUserInput {
  const which = req.credential;
  return {
    tenant: req.tenant,
    email: req.email,
    username: req.username,
    firstName: req.firstName,
    lastName: req.lastName,
    mobile: req.mobile,
    language: req.language,
    timezone: req.timezone,
    roles: req.roles,
    credential:
      which.case === "initialPassword"
        ? { kind: "initial_password", password: which.value }
        : which.case === "sendInvitation" && which.value
          ? { kind: "invitation" }
          : undefined,
    currentPassword: req.currentPassword,
  };
}

export function fromUpdateUserRequest(req: UpdateUserRequest): UpdateUserInput {
  return {
    tenant: req.tenant,
    userId: req.userId,
    changes: {
      firstName: req.firstName,
      lastName: req.lastName,
      username: req.username,
      mobile: req.mobile,
      language: req.language,
      timezone: req.timezone,
      roles: req.replaceRoles ? req.roles : undefined,
      status: fromUserStatus(req.status),
    },
    currentPassword: req.currentPassword,
  };
}

export function fromListAuditEventsRequest(req: ListAuditEventsRequest): AuditEventsInput {
  return {
    tenant: req.tenant,
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    userId: req.userId,
    eventType: req.eventType,
    from: req.startTime ? timestampMs(req.startTime) : undefined,
    to: req.endTime ? timestampMs(req.endTime) : undefined,
  };
}
