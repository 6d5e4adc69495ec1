// MfaService handlers: proto in, one call of the MFA face, proto out. Challenge RPCs are public (the
// challenge id is the credential); everything else needs a signed-in session, not an API key.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { MfaService } from "../../gen/authd/v1/mfa_pb.js";
import type { Clock } from "../clock.js";
import type { Mfa } from "../domain/mfa/index.js";
import { type CookieSettings, setDeviceCookie, setSessionCookies } from "../http/session-cookies.js";
import { clientInfo, requireSession } from "./caller.js";
import {
  fromCreateAuthenticatorRequest,
  fromDeleteAuthenticatorRequest,
  fromListAuthenticatorsRequest,
  fromVerifyAuthenticatorRequest,
  toAuthenticatorMessage,
  toCreateAuthenticatorResponseMessage,
  toTrustedDeviceMessage,
} from "./mapping/mfa.js";
import { fromPagedRequest } from "./mapping/paging.js";
import { toTokenPairMessage } from "./mapping/tokens.js";

/** What MfaService needs: the MFA feature, cookie settings, the clock. */
export interface MfaServiceDeps {
  mfa: Mfa;
  cookies: CookieSettings;
  clock: Clock;
}

export function mfaService(app: MfaServiceDeps): Partial<ServiceImpl<typeof MfaService>> {
  const { mfa } = app;
  return {
    async listAuthenticators(req, ctx) {
      const caller = requireSession(ctx);
      const filter = fromListAuthenticatorsRequest(req);
      const page = await mfa.listAuthenticators(caller, fromPagedRequest(req), filter);
      return { authenticators: page.items.map(toAuthenticatorMessage), nextPageToken: page.nextPageToken };
    },

    async getAuthenticator(req, ctx) {
      const caller = requireSession(ctx);
      return {
        authenticator: toAuthenticatorMessage(await mfa.getAuthenticator(caller, req.authenticatorId)),
      };
    },

    async createAuthenticator(req, ctx) {
      const caller = requireSession(ctx);
      const input = fromCreateAuthenticatorRequest(req);
      return toCreateAuthenticatorResponseMessage(
        await mfa.createAuthenticator(caller, input, clientInfo(ctx)),
      );
    },

    async verifyAuthenticator(req, ctx) {
      const caller = requireSession(ctx);
      const input = fromVerifyAuthenticatorRequest(req);
      return {
        authenticator: toAuthenticatorMessage(await mfa.verifyAuthenticator(caller, input, clientInfo(ctx))),
      };
    },

    async deleteAuthenticator(req, ctx) {
      const caller = requireSession(ctx);
      await mfa.deleteAuthenticator(caller, fromDeleteAuthenticatorRequest(req), clientInfo(ctx));
      return {};
    },

    async deliverChallenge(req) {
      const expiresAt = await mfa.deliverChallenge(req.challengeId, req.authenticatorId);
      return { codeExpireTime: timestampFromMs(expiresAt) };
    },

    async verifyChallenge(req, ctx) {
      const result = await mfa.verifyChallenge({
        challengeId: req.challengeId,
        authenticatorId: req.authenticatorId,
        code: req.code,
        rememberDevice: req.rememberDevice,
        client: clientInfo(ctx),
      });
      if (result.authMethod !== "cookie") {
        return { tokens: toTokenPairMessage(result.tokens, true), deviceToken: result.deviceToken ?? "" };
      }
      // A browser cannot keep the device token anywhere script-readable: it becomes an HttpOnly cookie
      // that Login reads back, and stays out of the body.
      setSessionCookies(ctx, result.tokens, app.cookies, app.clock.now());
      if (result.deviceToken !== undefined) setDeviceCookie(ctx, result.deviceToken, app.cookies);
      return { tokens: toTokenPairMessage(result.tokens, false), deviceToken: "" };
    },

    async stepUp(req, ctx) {
      const caller = requireSession(ctx);
      const validUntil = await mfa.stepUp(caller, req.authenticatorId, req.code);
      return validUntil === null ? {} : { validUntilTime: timestampFromMs(validUntil) };
    },

    async listTrustedDevices(req, ctx) {
      const caller = requireSession(ctx);
      const page = await mfa.listTrustedDevices(caller, fromPagedRequest(req));
      return { devices: page.items.map(toTrustedDeviceMessage), nextPageToken: page.nextPageToken };
    },

    async revokeTrustedDevice(req, ctx) {
      const caller = requireSession(ctx);
      await mfa.revokeTrustedDevice(caller, req.deviceId, clientInfo(ctx));
      return {};
    },

    async verifyMobile(req, ctx) {
      const caller = requireSession(ctx);
      await mfa.verifyMobile(caller, req.code);
      return {};
    },

    async resendMobileVerification(_req, ctx) {
      const caller = requireSession(ctx);
      await mfa.resendMobileVerification(caller);
      return {};
    },
  };
}
