/** @module The Defer of the pages' server actions: Next.js's `after()`, so mail goes out once the form's answer is sent. */
import { after } from 'next/server';
import { runDeferred, type Defer } from '@/lib/runtime/deferred';

/** Runs a use case's deferred work (mail, notices) after the server action has answered. */
export const afterAnswer: Defer = (task) => after(() => runDeferred(task));
