'use client';
import { useEffect, useState } from 'react';

/** Seconds left until a timestamp, ticking every second. */
export function Countdown({ until }: { until: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const seconds = Math.max(0, Math.round((until - now) / 1000));
  return (
    <span data-testid="access-expiry" data-expires-at={until}>
      {seconds > 0 ? `${Math.floor(seconds / 60)}m ${seconds % 60}s` : 'expired (renews on the next request)'}
    </span>
  );
}
