// Trusted devices: those that skip the second factor ("remember this device"); forget any of them.
import type { TrustedDevice } from "../../../gen/authd/v1/mfa_pb.js";
import { mfa } from "../client.js";
import { h, recordTable, statusLine, when } from "../dom.js";
import { errorMessage } from "../errors.js";
import { everyPage } from "../paging.js";
import { heading, type Screen } from "../router.js";
import { describeDevice } from "./sessions.js";

export const devicesScreen: Screen = {
  title: "Trusted devices",
  private: true,
  async render({ main }) {
    const status = statusLine();
    const list = h("div");
    main.append(
      heading("Trusted devices"),
      h("p", {}, "These devices skip the second factor. The password is still asked."),
      list,
      status,
    );
    const refresh = async () => {
      const all = await everyPage(async (pageToken) => {
        const res = await mfa.listTrustedDevices({ pageSize: 100, pageToken });
        return { items: res.devices, nextPageToken: res.nextPageToken };
      });
      list.replaceChildren(table(all, forget));
    };
    const forget = async (d: TrustedDevice) => {
      try {
        await mfa.revokeTrustedDevice({ deviceId: d.id });
        await refresh();
        status.say(`${describeDevice(d.userAgent)} is no longer trusted.`);
      } catch (error) {
        status.say(errorMessage(error), "error");
      }
    };
    await refresh().catch((error) => status.say(errorMessage(error), "error"));
  },
};

function table(devices: TrustedDevice[], forget: (d: TrustedDevice) => void): HTMLElement {
  if (devices.length === 0) return h("p", {}, "No trusted devices.");
  const records = devices.map((d) => {
    const device = describeDevice(d.userAgent);
    const button = h(
      "button",
      { type: "button", class: "danger", "aria-label": `Forget ${device}, ${d.ipAddress}` },
      "Forget",
    );
    button.addEventListener("click", () => forget(d));
    return [device, d.ipAddress || "—", when(d.createTime), when(d.expireTime), button];
  });
  return recordTable(
    "Your trusted devices",
    ["Device", "Place (IP address)", "Trusted since", "Trusted until", "Action"],
    records,
  );
}
