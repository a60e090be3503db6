import type { NextConfig } from 'next';

/** Sent with every response: no framing, no MIME sniffing, HTTPS only, minimal referrer and features. */
const securityHeaders = [
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
  { key: 'Strict-Transport-Security', value: 'max-age=63072000; includeSubDomains; preload' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=()' },
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
];

// No `env` block: anything put there is inlined into the client bundle. Secrets stay server-side.
const nextConfig: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  serverExternalPackages: ['pg', '@prisma/adapter-pg'],
  async headers() {
    return [
      { source: '/:path*', headers: securityHeaders },
      // The mailed links' tokens are in these pages' URLs: never send them on, never keep the pages in a cache.
      {
        source: '/:page(reset-password|verify-email|change-email)',
        headers: [
          { key: 'Referrer-Policy', value: 'no-referrer' },
          { key: 'Cache-Control', value: 'no-store' },
        ],
      },
    ];
  },
};

export default nextConfig;
