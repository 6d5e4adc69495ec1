// Linked identities and provider sign-in, between the contract's messages and the identities face.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type LinkedIdentity,
  LinkedIdentitySchema,
  type LinkIdentityRequest,
  type LoginWithProviderRequest,
} from "../../../gen/authd/v1/auth_pb.js";
import type { LinkedIdentityRecord, LinkInput, ProviderLoginInput } from "../../domain/identities/index.js";
import type { LoginOptions } from "../../domain/ports.js";

export function toLinkedIdentityMessage(row: LinkedIdentityRecord): LinkedIdentity {
  return create(LinkedIdentitySchema, {
    id: row.id,
    provider: row.provider,
    subject: row.subject,
    email: row.email,
    createTime: timestampFromMs(row.createdAt),
    lastSignInTime: timestampFromMs(row.lastSignInAt),
    hasProviderTokens: row.tokensSealed !== null,
  });
}

/** The request, with the session options and remembered device the sign-in mapper read from it. */
export function fromLoginWithProviderRequest(
  req: LoginWithProviderRequest,
  signIn: { deviceToken: string; options: LoginOptions },
): ProviderLoginInput {
  return {
    provider: req.provider,
    idToken: req.idToken,
    accessToken: req.accessToken,
    refreshToken: req.refreshToken,
    nonce: req.nonce,
    deviceToken: signIn.deviceToken,
    options: signIn.options,
    tenant: req.tenant,
  };
}

export function fromLinkIdentityRequest(req: LinkIdentityRequest): LinkInput {
  return {
    provider: req.provider,
    idToken: req.idToken,
    accessToken: req.accessToken,
    refreshToken: req.refreshToken,
    nonce: req.nonce,
    currentPassword: req.currentPassword,
  };
}
