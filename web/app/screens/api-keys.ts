// API keys: create one with its scopes (shown once, to copy), list them, revoke one.
import type { ApiKey } from "../../../gen/authd/v1/session_pb.js";
import { sessions } from "../client.js";
import { form, h, recordTable, statusLine, when } from "../dom.js";
import { errorMessage } from "../errors.js";
import { everyPage } from "../paging.js";
import { heading, type Screen } from "../router.js";

/** The scopes authd knows (src/domain/sessions/api-keys.ts API_KEY_SCOPES). */
const SCOPES: [string, string][] = [
  ["profile:read", "Read the profile"],
  ["profile:write", "Change the profile"],
  ["profile:personal", "With the two above, also personal data: birth date, ID number, address, ..."],
  ["sessions:read", "List the sessions"],
  ["sessions:write", "Sign sessions out"],
];

export const apiKeysScreen: Screen = {
  title: "API keys",
  private: true,
  async render({ main }) {
    const status = statusLine();
    const list = h("div");
    const created = h("div");
    const f = form({
      label: "Create an API key",
      fields: [
        {
          name: "name",
          label: "Name",
          required: true,
          maxlength: "100",
          hint: "To recognise the key later.",
        },
        ...SCOPES.map(([scope, label]) => ({
          name: scope.replace(":", "_"),
          label: `${label} (${scope})`,
          type: "checkbox",
          group: "scopes",
        })),
        {
          name: "current_password",
          label: "Current password",
          type: "password",
          autocomplete: "current-password",
          required: true,
        },
      ],
      submit: "Create API key",
      // authd names the repeated field "scopes" in its errors: they show at the checkboxes.
      groups: { scopes: "What the key may do" },
      async onSubmit(v, handle) {
        const scopes = SCOPES.map(([s]) => s).filter((s) => v.checked[s.replace(":", "_")]);
        const res = await sessions.createApiKey({
          name: v.name,
          scopes,
          currentPassword: v.current_password,
        });
        handle.element.reset();
        created.replaceChildren(shownOnce(res.secret));
        created.querySelector("button")?.focus();
        await refresh();
      },
    });
    main.append(heading("API keys"), list, status, h("h2", {}, "Create an API key"), f.element, created);
    const refresh = async () => {
      const keys = await everyPage(async (pageToken) => {
        const res = await sessions.listApiKeys({ pageSize: 100, pageToken });
        return { items: res.apiKeys, nextPageToken: res.nextPageToken };
      });
      list.replaceChildren(table(keys, revoke));
    };
    const revoke = async (key: ApiKey) => {
      try {
        await sessions.revokeApiKey({ apiKeyId: key.id });
        await refresh();
        status.say(`The key “${key.name}” is revoked.`);
      } catch (error) {
        status.say(errorMessage(error), "error");
      }
    };
    await refresh().catch((error) => status.say(errorMessage(error), "error"));
  },
};

function shownOnce(secret: string): HTMLElement {
  const copy = h("button", { type: "button" }, "Copy the key");
  const said = h("p", { role: "status" });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(secret);
      said.textContent = "Copied.";
    } catch {
      said.textContent = "Copying is not allowed here: select the key and copy it by hand.";
    }
  });
  return h(
    "section",
    { "aria-labelledby": "new-key", class: "notice" },
    h("h2", { id: "new-key" }, "Your new API key"),
    h("p", {}, "Copy it now: it is shown only this once."),
    h("p", {}, h("code", { id: "api-key-secret", class: "secret" }, secret)),
    copy,
    said,
  );
}

function table(keys: ApiKey[], revoke: (key: ApiKey) => void): HTMLElement {
  if (keys.length === 0) return h("p", {}, "No API keys.");
  const records = keys.map((key) => {
    let action: Node = h("span", {}, `Revoked ${when(key.revokeTime)}`);
    if (!key.revokeTime) {
      const button = h(
        "button",
        { type: "button", class: "danger", "aria-label": `Revoke ${key.name}` },
        "Revoke",
      );
      button.addEventListener("click", () => revoke(key));
      action = button;
    }
    return [
      key.name,
      h("code", { class: "secret" }, `${key.prefix}…`),
      key.scopes.join(", "),
      when(key.lastUsedTime),
      action,
    ];
  });
  return recordTable("Your API keys", ["Name", "Key", "Scopes", "Last used", "Action"], records);
}
