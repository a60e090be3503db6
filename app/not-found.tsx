import type { Metadata } from 'next';
import Link from 'next/link';

export const metadata: Metadata = { title: 'Page not found' };

/** Any unknown address: says so, and offers the way back. */
export default function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>There is no page at this address. It may have moved, or the link may have a typo.</p>
      <p className="actions">
        <Link href="/" className="button">
          Go to the start page
        </Link>
      </p>
    </>
  );
}
