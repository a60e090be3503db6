import { authRoute } from '@/auth';

export const { GET, POST } = authRoute;
