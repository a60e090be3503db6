/** Mounts the Hono app's /api/health on the edge runtime. */
import { handle } from 'hono/vercel';
import { app } from '@/api/_hono/app';

export const runtime = 'edge';
export const dynamic = 'force-dynamic';

export const GET = handle(app);
