/** Pieces every form of the app shares: its error and status lines, and the new-password pair. */

/** The form's error (role=alert) and success (role=status) lines, when there are any. */
export function FormMessages({ error, done }: { error?: string | undefined; done?: string | undefined }) {
  return (
    <>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {done && (
        <p className="muted" role="status">
          {done}
        </p>
      )}
    </>
  );
}

/** A new password and its repetition (`new_password`, `confirm_password`), with the length policy. */
export function NewPasswordFields() {
  return (
    <>
      <label>
        New password
        <input name="new_password" type="password" autoComplete="new-password" required minLength={8} maxLength={256} />
      </label>
      <label>
        New password again
        <input name="confirm_password" type="password" autoComplete="new-password" required minLength={8} maxLength={256} />
      </label>
    </>
  );
}
