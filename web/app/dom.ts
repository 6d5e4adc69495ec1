// A few DOM helpers instead of a framework: build elements, build labelled forms whose errors sit
// next to the field they concern, tables that fit a phone, and announce results in a live region.
import { ConnectError } from "@connectrpc/connect";
import { explain } from "./errors.js";

type Child = Node | string | false | null | undefined;
type Attrs = Record<string, string | boolean | undefined>;

/** Creates an element; boolean attributes are set when true, skipped when false or undefined. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === true) el.setAttribute(name, "");
    else if (typeof value === "string") el.setAttribute(name, value);
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

export interface FieldSpec {
  /** The request field, in proto (snake_case) spelling: authd's errors name it. */
  name: string;
  label: string;
  type?: string;
  autocomplete?: string;
  required?: boolean;
  value?: string;
  hint?: string;
  /** For type "checkbox". */
  checked?: boolean;
  inputmode?: string;
  maxlength?: string;
  /** For checkboxes that answer one question: the name of their group (see FormSpec.groups). */
  group?: string;
}

export type Values = Record<string, string> & { checked: Record<string, boolean> };

export interface FormSpec {
  /** Accessible name of the form. */
  label: string;
  fields: FieldSpec[];
  submit: string;
  danger?: boolean;
  /**
   * Checkboxes shown together under a legend, by group name. The name is the request field that
   * holds them ("scopes"): authd's errors about it show at the group.
   */
  groups?: Record<string, string>;
  /** Other errors to show at a field: authd's sign-in errors name no field on purpose. */
  errorField?: (error: ConnectError) => string | undefined;
  onSubmit(values: Values, form: FormHandle): Promise<void>;
}

export interface FormHandle {
  element: HTMLFormElement;
  input(name: string): HTMLInputElement;
  /** Shows `message` at a field or a group of fields, marks them invalid and moves the focus there. */
  fieldError(name: string, message: string): void;
  formError(message: string): void;
  clearErrors(): void;
}

let ids = 0;

function fieldRow(spec: FieldSpec, id: string, groupErrorId?: string): HTMLElement {
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [spec.hint ? hintId : "", errorId, groupErrorId].filter(Boolean).join(" ");
  const input = h("input", {
    id,
    name: spec.name,
    type: spec.type ?? "text",
    autocomplete: spec.autocomplete,
    required: spec.required,
    inputmode: spec.inputmode,
    maxlength: spec.maxlength,
    "aria-describedby": describedBy,
  });
  if (spec.value !== undefined) input.value = spec.value;
  if (spec.type === "checkbox") {
    input.checked = input.defaultChecked = spec.checked ?? false;
    return h(
      "div",
      { class: "field checkbox" },
      input,
      h("label", { for: id }, spec.label),
      spec.hint && h("p", { id: hintId, class: "hint" }, spec.hint),
      h("p", { id: errorId, class: "field-error", hidden: true }),
    );
  }
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, spec.label),
    spec.hint && h("p", { id: hintId, class: "hint" }, spec.hint),
    input,
    h("p", { id: errorId, class: "field-error", hidden: true }),
  );
}

/** The form's rows: each field, with a group's checkboxes in one fieldset whose error they share. */
function rows(spec: FormSpec, idOf: (name: string) => string): HTMLElement[] {
  const out: HTMLElement[] = [];
  const sets = new Map<string, HTMLFieldSetElement>();
  for (const field of spec.fields) {
    const group = field.group;
    if (!group) {
      out.push(fieldRow(field, idOf(field.name)));
      continue;
    }
    const errorId = `${idOf(group)}-error`;
    let set = sets.get(group);
    if (!set) {
      set = h(
        "fieldset",
        { id: idOf(group), "aria-describedby": errorId },
        h("legend", {}, spec.groups?.[group] ?? group),
        h("p", { id: errorId, class: "field-error", hidden: true }),
      );
      sets.set(group, set);
      out.push(set);
    }
    set.lastElementChild?.before(fieldRow(field, idOf(field.name), errorId));
  }
  return out;
}

export function form(spec: FormSpec): FormHandle {
  ids += 1;
  const prefix = `f${ids}`;
  const targets = new Set([...spec.fields.map((f) => f.name), ...Object.keys(spec.groups ?? {})]);
  const labels = new Map<string, string>([
    ...spec.fields.map((f): [string, string] => [f.name, f.label]),
    ...Object.entries(spec.groups ?? {}),
  ]);
  const idOf = (name: string) => `${prefix}-${name.replaceAll("_", "-")}`;
  const formErrorEl = h("p", { class: "form-error", role: "alert", hidden: true });
  const button = h("button", { type: "submit", class: spec.danger ? "danger" : undefined }, spec.submit);
  const element = h(
    "form",
    { "aria-label": spec.label, novalidate: true },
    ...rows(spec, idOf),
    formErrorEl,
    button,
  );
  const input = (name: string) => element.querySelector<HTMLInputElement>(`#${idOf(name)}`)!;
  /** The inputs an error at `name` concerns: the field's, or every one of a group's. */
  const inputsOf = (name: string) =>
    spec.groups?.[name] === undefined
      ? [input(name)]
      : [...element.querySelectorAll<HTMLInputElement>(`#${idOf(name)} input`)];
  const handle: FormHandle = {
    element,
    input,
    fieldError(name, message) {
      const error = element.querySelector<HTMLElement>(`#${idOf(name)}-error`)!;
      error.textContent = message;
      error.hidden = false;
      const inputs = inputsOf(name);
      for (const field of inputs) field.setAttribute("aria-invalid", "true");
      inputs[0]?.focus();
    },
    formError(message) {
      formErrorEl.textContent = message;
      formErrorEl.hidden = false;
    },
    clearErrors() {
      formErrorEl.hidden = true;
      for (const el of element.querySelectorAll<HTMLElement>(".field-error")) el.hidden = true;
      for (const el of element.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    },
  };
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    handle.clearErrors();
    // The browser's own checks first (required fields), shown the same way as authd's.
    const missing = spec.fields.find(
      (f) => f.required && f.type !== "checkbox" && input(f.name).value === "",
    );
    if (missing) {
      handle.fieldError(missing.name, `${missing.label} is required.`);
      return;
    }
    const values = { checked: {} } as Values;
    for (const f of spec.fields) {
      if (f.type === "checkbox") values.checked[f.name] = input(f.name).checked;
      else values[f.name] = input(f.name).value;
    }
    button.disabled = true;
    try {
      await spec.onSubmit(values, handle);
    } catch (error) {
      const e = ConnectError.from(error);
      const { field: named, sentence } = explain(e, (name) => labels.get(name));
      const field = (named && targets.has(named) ? named : undefined) ?? spec.errorField?.(e);
      if (field) handle.fieldError(field, sentence);
      else handle.formError(sentence);
    } finally {
      button.disabled = false;
    }
  });
  return handle;
}

/** A polite live region for what just happened. */
export function statusLine(): HTMLParagraphElement & { say(message: string, kind?: "ok" | "error"): void } {
  const el = h("p", { role: "status", class: "status" }) as HTMLParagraphElement & {
    say(message: string, kind?: "ok" | "error"): void;
  };
  el.say = (message, kind = "ok") => {
    el.textContent = message;
    el.className = `status ${kind}`;
  };
  return el;
}

/**
 * A table of records with a caption for screen readers. Each cell carries its column's title, which
 * app.css shows before it where a phone stacks each row as a card.
 */
export function recordTable(caption: string, columns: string[], records: Child[][]): HTMLTableElement {
  return h(
    "table",
    { class: "records" },
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, ...columns.map((title) => h("th", { scope: "col" }, title)))),
    h(
      "tbody",
      {},
      ...records.map((cells) =>
        h("tr", {}, ...cells.map((cell, i) => h("td", { "data-label": columns[i] }, cell))),
      ),
    ),
  );
}

export function when(ts: { seconds: bigint } | undefined): string {
  if (!ts || ts.seconds === 0n) return "—";
  return new Date(Number(ts.seconds) * 1000).toLocaleString();
}
