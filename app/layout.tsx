import type { Metadata, Viewport } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: { template: '%s · Edge Auth', default: 'Edge Auth' },
  description: 'Sign in with rotating refresh tokens',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <Link href="/" className="brand">
            <svg aria-hidden="true" width="24" height="24" viewBox="0 0 32 32">
              <path d="M16 2 4 7v8c0 7.5 5.1 13.6 12 15 6.9-1.4 12-7.5 12-15V7L16 2Z" fill="var(--accent)" />
              <path d="m11 16 3.5 3.5L21.5 12" fill="none" stroke="#fff" strokeWidth="3" strokeLinecap="round" />
            </svg>
            Edge Auth
          </Link>
        </header>
        <main className="shell">{children}</main>
      </body>
    </html>
  );
}
