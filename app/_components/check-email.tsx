import type { ReactNode } from 'react';

/**
 * "Check your email" as the page's heading (the form it replaces is gone): names the address the message went
 * to, says what to do with it, and offers to send it again.
 */
export function CheckEmail({ email, what, children }: { email: string; what: ReactNode; children?: ReactNode }) {
  return (
    <div data-testid="check-email">
      <h1>Check your email</h1>
      <div className="success" role="status">
        <p>
          We have sent a message to <strong data-testid="sent-to">{email}</strong>.
        </p>
        <p style={{ margin: 0 }}>{what}</p>
      </div>
      <p className="muted">Nothing after a few minutes? Look in your spam folder, or ask for it again.</p>
      {children}
    </div>
  );
}
