/** Mounts the Hono API under /api/v1 on the edge runtime. */
import { handle } from 'hono/vercel';
import { app } from '@/api/_hono/app';

export const runtime = 'edge';

const handler = handle(app);
export { handler as GET, handler as POST, handler as PUT, handler as PATCH, handler as DELETE, handler as OPTIONS };
