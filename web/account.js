// The pages behind the links authd emails: verify an address, reset a password, confirm a
// deactivation or a deletion. Each one acts only on a click, never on page load, because mail
// scanners open links and would otherwise use the single-use token up.

const token = new URLSearchParams(location.search).get("token") ?? "";
// Keep the token out of the address bar, the history and any later Referer.
history.replaceState(null, "", location.pathname);

const $ = (id) => document.getElementById(id);

function show(message, kind) {
  const status = $("status");
  status.textContent = message;
  status.className = kind;
}

async function call(method, body) {
  const response = await fetch(`/authd.v1.AuthService/${method}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Connect-Protocol-Version": "1" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.message ?? `the request failed (${response.status})`);
  return data;
}

/** A page with one confirming button. */
function confirmPage({ title, intro, button, danger, method, done }) {
  $("title").textContent = title;
  $("intro").textContent = intro;
  const confirm = $("confirm");
  confirm.textContent = button;
  if (danger) confirm.classList.add("danger");
  confirm.hidden = false;
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    try {
      await call(method, { token });
      confirm.hidden = true;
      show(done, "ok");
    } catch (error) {
      confirm.disabled = false;
      show(error.message, "error");
    }
  });
}

async function resetPage() {
  $("title").textContent = "Choose a new password";
  const { valid } = await call("CheckPasswordResetToken", { token }).catch(() => ({ valid: false }));
  if (!valid) {
    show("This link is invalid, has expired, or was already used. Ask for a new one.", "error");
    return;
  }
  $("intro").textContent =
    "8 to 128 characters; a phrase of a few words is easy to remember and hard to guess.";
  const form = $("password-form");
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const newPassword = $("new-password").value;
    if (newPassword !== $("confirm-password").value) {
      show("The two passwords are not the same.", "error");
      return;
    }
    $("submit-password").disabled = true;
    try {
      await call("ResetPassword", { token, newPassword });
      form.hidden = true;
      show("Your password is changed and every session was signed out. You can sign in now.", "ok");
    } catch (error) {
      show(error.message, "error");
    } finally {
      $("submit-password").disabled = false;
    }
  });
}

const pages = {
  "/verify-email": () =>
    confirmPage({
      title: "Verify your email address",
      intro: "Confirm that this address is yours.",
      button: "Verify my email",
      method: "VerifyEmail",
      done: "Your email address is verified. You can sign in now.",
    }),
  "/reset-password": resetPage,
  "/confirm-deactivation": () =>
    confirmPage({
      title: "Deactivate your account",
      intro: "You will be signed out everywhere and will not be able to sign in.",
      button: "Deactivate my account",
      danger: true,
      method: "ConfirmDeactivation",
      done: "Your account is deactivated.",
    }),
  "/confirm-deletion": () =>
    confirmPage({
      title: "Delete your account",
      intro: "Your account and its personal data will be erased. This cannot be undone.",
      button: "Delete my account permanently",
      danger: true,
      method: "ConfirmDeletion",
      done: "Your account is deleted.",
    }),
};

if (token === "") show("This link has no token. Open the link from the email again.", "error");
else pages[location.pathname]?.();
