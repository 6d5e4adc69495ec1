// The account's sessions: where and on what each one signed in, when it was last used; end one, or
// every other one.
import { type Session, SessionScope } from "../../../gen/authd/v1/common_pb.js";
import { sessions } from "../client.js";
import { h, recordTable, statusLine, when } from "../dom.js";
import { errorMessage } from "../errors.js";
import { everyPage } from "../paging.js";
import { heading, type Screen } from "../router.js";

/** "Chrome on Linux" from a User-Agent: enough to recognise one's own devices. */
export function describeDevice(userAgent: string): string {
  if (userAgent === "") return "Unknown device";
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /Chrom(e|ium)\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : /^(curl|grpc|connect)/i.test(userAgent)
            ? userAgent.split(/[/ ]/)[0]
            : "Another client";
  const os = /Android/.test(userAgent)
    ? "Android"
    : /iPhone|iPad/.test(userAgent)
      ? "iOS"
      : /Windows/.test(userAgent)
        ? "Windows"
        : /Mac OS X/.test(userAgent)
          ? "macOS"
          : /Linux/.test(userAgent)
            ? "Linux"
            : "";
  return os ? `${browser} on ${os}` : `${browser}`;
}

export const sessionsScreen: Screen = {
  title: "Sessions",
  private: true,
  async render({ main }) {
    const status = statusLine();
    const list = h("div");
    const endOthers = h("button", { type: "button", class: "danger" }, "Sign out all other sessions");
    main.append(heading("Sessions"), h("p", {}, "Where your account is signed in."), list, endOthers, status);
    const refresh = async () => {
      const all = await everyPage(async (pageToken) => {
        const res = await sessions.listSessions({ pageSize: 100, pageToken });
        return { items: res.sessions, nextPageToken: res.nextPageToken };
      });
      list.replaceChildren(table(all, revoke));
      endOthers.hidden = all.every((s) => s.current);
    };
    const revoke = async (s: Session) => {
      try {
        await sessions.revokeSession({ sessionId: s.id });
        await refresh();
        status.say(`Signed out ${describeDevice(s.userAgent)} (${s.ipAddress}).`);
      } catch (error) {
        status.say(errorMessage(error), "error");
      }
    };
    endOthers.addEventListener("click", async () => {
      try {
        const { revokedSessions } = await sessions.revokeAllSessions({ endSessions: SessionScope.OTHERS });
        await refresh();
        status.say(`Signed out ${revokedSessions} other session${revokedSessions === 1 ? "" : "s"}.`);
      } catch (error) {
        status.say(errorMessage(error), "error");
      }
    });
    await refresh().catch((error) => status.say(errorMessage(error), "error"));
  },
};

function table(all: Session[], revoke: (s: Session) => void): HTMLElement {
  const records = all.map((s) => {
    const device = describeDevice(s.userAgent);
    let action: Node = h("span", {}, "This session");
    if (!s.current) {
      const button = h(
        "button",
        { type: "button", class: "danger", "aria-label": `Sign out ${device}, ${s.ipAddress}` },
        "Sign out",
      );
      button.addEventListener("click", () => revoke(s));
      action = button;
    }
    return [
      h("span", { title: s.userAgent }, device),
      s.ipAddress || "—",
      when(s.createTime),
      when(s.lastUsedTime),
      action,
    ];
  });
  return recordTable(
    "Your sessions",
    ["Device", "Place (IP address)", "Signed in", "Last used", "Action"],
    records,
  );
}
