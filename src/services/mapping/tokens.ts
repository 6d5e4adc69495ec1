// Issued tokens -> the TokenPair message (every answer that signs in or refreshes).
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type TokenPair, TokenPairSchema } from "../../../gen/authd/v1/common_pb.js";
import type { IssuedTokens } from "../../domain/sessions/index.js";

/** Tokens for the response body; in cookie mode the secrets stay out of it (they travel as cookies). */
export function toTokenPairMessage(tokens: IssuedTokens, includeSecrets: boolean): TokenPair {
  return create(TokenPairSchema, {
    accessToken: includeSecrets ? tokens.accessToken : "",
    accessTokenExpireTime: timestampFromMs(tokens.accessTokenExpiresAt),
    refreshToken: includeSecrets ? tokens.refreshToken : "",
    refreshTokenExpireTime: timestampFromMs(tokens.refreshTokenExpiresAt),
    tokenType: "Bearer",
    sessionId: tokens.sessionId,
    userId: tokens.userId,
  });
}
