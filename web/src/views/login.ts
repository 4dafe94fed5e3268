// Sign-in: email or username and password; then the 2FA code when the account has it on.
import { ApiError, login } from "../api";
import { field, h, notice, replace } from "../dom";

export function loginView(root: HTMLElement, done: () => Promise<void>): void {
  const user = h("input", { name: "login", autocomplete: "username", required: true, autofocus: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const totp = h("input", {
    name: "totp",
    inputmode: "numeric",
    autocomplete: "one-time-code",
    placeholder: "123456 or a recovery code",
  });
  const totpField = field("Two-factor code", totp);
  totpField.hidden = true;
  const message = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    {
      class: "card login",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        submit.disabled = true;
        replace(message);
        try {
          await login(user.value, password.value, totpField.hidden ? undefined : totp.value);
          await done();
        } catch (err) {
          if (err instanceof ApiError && err.type === "totp-required") {
            totpField.hidden = false;
            totp.focus();
            replace(message, notice("Enter the code from your authenticator app.", "ok"));
          } else {
            replace(message, notice(err instanceof Error ? err.message : String(err)));
          }
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h1", {}, "RIS"),
    h("p", { class: "muted" }, "Sign in to manage your fleet."),
    message,
    field("Email or username", user),
    field("Password", password),
    totpField,
    submit,
  );
  replace(root, h("main", { class: "center" }, form));
}
