import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import Link from 'next/link';
import './globals.css';

export const metadata: Metadata = {
  title: 'Chunked Containers',
  description:
    'Take container images apart in the browser: chunk, deduplicate, convert to eStargz and push',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="site-header">
          <Link href="/" className="brand">
            Chunked Containers
          </Link>
          <nav>
            <Link href="/">Import</Link>
            <Link href="/library">Library</Link>
            <Link href="/compare">Compare</Link>
          </nav>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
