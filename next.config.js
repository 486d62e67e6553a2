/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The registry push routes stream request bodies of up to one upload part.
  experimental: {},
};

export default nextConfig;
