// MfaService handlers: proto in, one domain call, proto out. Challenge RPCs are public (the
// challenge id is the credential); everything else needs a signed-in session, except the read-only
// listings, which an API key may call too.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { SessionScope } from "../../gen/authd/v1/common_pb.js";
import { AuthenticatorType, type MfaService } from "../../gen/authd/v1/mfa_pb.js";
import type { Clock } from "../clock.js";
import { invalidArgument } from "../domain/errors.js";
import type { Mfa } from "../domain/mfa/mfa.js";
import type { Proof } from "../domain/mfa/proof.js";
import { type CookieSettings, setDeviceCookie, setSessionCookies } from "../http/session-cookies.js";
import { clientInfo, requireSession } from "./caller.js";
import { toTokenPair } from "./mapping/tokens.js";
import { fromAuthenticatorType, toAuthenticatorProto, toTrustedDeviceProto } from "./mfa-mappers.js";
import { toPageRequest } from "./page-mapper.js";
import { sessionScope } from "./session-scope.js";

/**
 * A factor change's end_sessions (ASVS 7.4.3): none by default, or every other session, ended in the
 * change's own transaction. Read before the change.
 */
const endsOthers = (scope: SessionScope) => sessionScope(scope, "none", ["none", "others"]) === "others";

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
      const filter = {
        type: req.type === AuthenticatorType.UNSPECIFIED ? undefined : fromAuthenticatorType(req.type),
        verified: req.verified,
      };
      const page = await mfa.listPage(caller.userId, toPageRequest(req), filter);
      return { authenticators: page.items.map(toAuthenticatorProto), nextPageToken: page.nextPageToken };
    },

    async getAuthenticator(req, ctx) {
      const caller = requireSession(ctx);
      return { authenticator: toAuthenticatorProto(await mfa.get(caller.userId, req.authenticatorId)) };
    },

    async createAuthenticator(req, ctx) {
      const caller = requireSession(ctx);
      const type = fromAuthenticatorType(req.type);
      const created = await mfa.create(caller, type, req.mobile, req.currentPassword, clientInfo(ctx));
      return {
        authenticator: toAuthenticatorProto(created.authenticator),
        totpSecret: created.totp?.secret ?? "",
        totpUri: created.totp?.uri ?? "",
        totpQrCode: created.totp?.qrCode ?? "",
        recoveryCodes: created.recoveryCodes ?? [],
      };
    },

    async verifyAuthenticator(req, ctx) {
      const caller = requireSession(ctx);
      const endOthers = endsOthers(req.endSessions);
      const summary = await mfa.verify(
        caller,
        req.authenticatorId,
        req.code,
        req.currentPassword,
        clientInfo(ctx),
        endOthers,
      );
      return { authenticator: toAuthenticatorProto(summary) };
    },

    async deleteAuthenticator(req, ctx) {
      const caller = requireSession(ctx);
      let proof: Proof;
      const endOthers = endsOthers(req.endSessions);
      if (req.proof.case === "currentPassword") proof = { kind: "password", password: req.proof.value };
      else if (req.proof.case === "code") proof = { kind: "code", code: req.proof.value };
      else throw invalidArgument("current_password", "or code is required to remove a factor");
      await mfa.remove(caller, req.authenticatorId, proof, clientInfo(ctx), endOthers);
      return {};
    },

    async deliverChallenge(req) {
      const expiresAt = await mfa.deliver(req.challengeId, req.authenticatorId);
      return { codeExpireTime: timestampFromMs(expiresAt) };
    },

    async verifyChallenge(req, ctx) {
      const result = await mfa.answer({
        challengeId: req.challengeId,
        authenticatorId: req.authenticatorId,
        code: req.code,
        rememberDevice: req.rememberDevice,
        client: clientInfo(ctx),
      });
      const cookieMode = result.authMethod === "cookie";
      if (!cookieMode) {
        return { tokens: toTokenPair(result.tokens, true), deviceToken: result.deviceToken ?? "" };
      }
      // A browser cannot keep the device token anywhere script-readable: it becomes an HttpOnly cookie
      // that Login reads back, and stays out of the body.
      setSessionCookies(ctx, result.tokens, app.cookies, app.clock.now());
      if (result.deviceToken !== undefined) setDeviceCookie(ctx, result.deviceToken, app.cookies);
      return { tokens: toTokenPair(result.tokens, false), deviceToken: "" };
    },

    async stepUp(req, ctx) {
      const caller = requireSession(ctx);
      const validUntil = await mfa.stepUp(caller, req.authenticatorId, req.code);
      return validUntil === null ? {} : { validUntilTime: timestampFromMs(validUntil) };
    },

    async listTrustedDevices(req, ctx) {
      const caller = requireSession(ctx);
      const page = await mfa.devicesPage(caller.userId, toPageRequest(req));
      return { devices: page.items.map(toTrustedDeviceProto), nextPageToken: page.nextPageToken };
    },

    async revokeTrustedDevice(req, ctx) {
      const caller = requireSession(ctx);
      await mfa.revokeDevice(caller.userId, req.deviceId, clientInfo(ctx));
      return {};
    },

    async verifyMobile(req, ctx) {
      const caller = requireSession(ctx);
      await mfa.verifyMobile(caller.userId, req.code);
      return {};
    },

    async resendMobileVerification(_req, ctx) {
      const caller = requireSession(ctx);
      await mfa.resendMobile(caller.userId);
      return {};
    },
  };
}
