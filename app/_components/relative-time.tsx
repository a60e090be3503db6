'use client';
import { useEffect, useState } from 'react';
import { relativeTime } from '../_lib/relative-time';

/**
 * A time in words ("2 minutes ago") with the exact time, in the person's own time zone, on hover. The first
 * render uses the server's words (`initial`), so hydration matches; the browser's clock and zone take over after.
 */
export function RelativeTime({ at, initial }: { at: number; initial: string }) {
  const [shown, setShown] = useState<{ text: string; exact?: string }>({ text: initial });
  useEffect(() => {
    const exact = new Intl.DateTimeFormat(undefined, {
      dateStyle: 'medium',
      timeStyle: 'short',
    }).format(new Date(at));
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const update = () => setShown({ text: relativeTime(at, Date.now()), exact: `${exact} (${zone})` });
    update();
    const timer = setInterval(update, 30_000);
    return () => clearInterval(timer);
  }, [at]);
  return (
    <time dateTime={new Date(at).toISOString()} title={shown.exact} data-testid="relative-time">
      {shown.text}
    </time>
  );
}
