'use client';
import { useEffect, useState } from 'react';

/**
 * Seconds left until a timestamp, ticking every second. The server and the hydrating browser render
 * the same placeholder: "seconds left" depends on when each renders, so text computed on the server
 * would never match the browser's and React would report a hydration mismatch. The clock starts
 * after hydration.
 */
export function Countdown({ until }: { until: number }) {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const seconds = now === null ? null : Math.max(0, Math.round((until - now) / 1000));
  return (
    <span data-testid="access-expiry" data-expires-at={until}>
      {seconds === null
        ? '…'
        : seconds > 0
          ? `${Math.floor(seconds / 60)}m ${seconds % 60}s`
          : 'expired (renews on the next request)'}
    </span>
  );
}
