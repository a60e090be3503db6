import type { NextConfig } from 'next';

// No `env` block: anything put there is inlined into the client bundle. Secrets stay server-side.
const nextConfig: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  serverExternalPackages: ['pg', '@prisma/adapter-pg'],
};

export default nextConfig;
