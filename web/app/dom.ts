// A few DOM helpers instead of a framework: build elements, build labelled forms whose errors sit
// next to the field they concern, and announce results in a live region.
import { Code, ConnectError } from "@connectrpc/connect";

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
}

export type Values = Record<string, string> & { checked: Record<string, boolean> };

export interface FormSpec {
  /** Accessible name of the form. */
  label: string;
  fields: FieldSpec[];
  submit: string;
  danger?: boolean;
  /** Other errors to show at a field: authd's sign-in errors name no field on purpose. */
  errorField?: (error: ConnectError) => string | undefined;
  onSubmit(values: Values, form: FormHandle): Promise<void>;
}

export interface FormHandle {
  element: HTMLFormElement;
  input(name: string): HTMLInputElement;
  fieldError(name: string, message: string): void;
  formError(message: string): void;
  clearErrors(): void;
}

let ids = 0;

function fieldRow(spec: FieldSpec, id: string): HTMLElement {
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [spec.hint ? hintId : "", errorId].filter(Boolean).join(" ");
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

/** The field an authd error names ("new_password: is too common"), when the form has it. */
function namedField(error: ConnectError, names: string[]): string | undefined {
  const match = /^([a-z_]+): /.exec(error.rawMessage);
  return match?.[1] && names.includes(match[1]) ? match[1] : undefined;
}

export function errorMessage(error: unknown): string {
  const e = ConnectError.from(error);
  if (e.code === Code.Unavailable || e.code === Code.Unknown)
    return `authd could not be reached: ${e.rawMessage}`;
  return e.rawMessage;
}

export function form(spec: FormSpec): FormHandle {
  ids += 1;
  const prefix = `f${ids}`;
  const names = spec.fields.map((f) => f.name);
  const idOf = (name: string) => `${prefix}-${name.replaceAll("_", "-")}`;
  const formErrorEl = h("p", { class: "form-error", role: "alert", hidden: true });
  const button = h("button", { type: "submit", class: spec.danger ? "danger" : undefined }, spec.submit);
  const element = h(
    "form",
    { "aria-label": spec.label, novalidate: true },
    ...spec.fields.map((f) => fieldRow(f, idOf(f.name))),
    formErrorEl,
    button,
  );
  const input = (name: string) => element.querySelector<HTMLInputElement>(`#${idOf(name)}`)!;
  const handle: FormHandle = {
    element,
    input,
    fieldError(name, message) {
      const field = input(name);
      const error = element.querySelector<HTMLElement>(`#${idOf(name)}-error`)!;
      error.textContent = message;
      error.hidden = false;
      field.setAttribute("aria-invalid", "true");
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
      input(missing.name).focus();
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
      const field = namedField(e, names) ?? spec.errorField?.(e);
      if (field) {
        handle.fieldError(field, errorMessage(e));
        input(field).focus();
      } else {
        handle.formError(errorMessage(e));
      }
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

export function when(ts: { seconds: bigint } | undefined): string {
  if (!ts || ts.seconds === 0n) return "—";
  return new Date(Number(ts.seconds) * 1000).toLocaleString();
}
