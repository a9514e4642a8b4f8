import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Served by tenohira at /liff/; in development Vite proxies the API.
export default defineConfig({
  base: '/liff/',
  plugins: [react()],
  server: { port: 5174, proxy: { '/liff/graphql': 'http://127.0.0.1:8080', '/liff/config.json': 'http://127.0.0.1:8080' } },
  build: { outDir: 'dist' },
  test: { environment: 'jsdom', include: ['src/**/*.test.ts'] },
});
