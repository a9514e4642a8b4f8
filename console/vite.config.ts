import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Served by tenohira at /console/. In development Vite proxies the API.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  server: {
    port: 5173,
    proxy: {
      '/graphql': 'http://127.0.0.1:8080',
      '/exports': 'http://127.0.0.1:8080',
    },
  },
  build: { outDir: 'dist', sourcemap: false },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
});
