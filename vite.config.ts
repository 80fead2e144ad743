import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Two entries, built into web/dist: the Patient Portal (/portal/) and the staff app (/staff/).
// They share only web/ui and web/lib; the portal bundle carries no staff code.
export default defineConfig({
  root: here('./web'),
  base: '/',
  plugins: [react()],
  build: {
    outDir: here('./web/dist'),
    emptyOutDir: true,
    sourcemap: false,
    rollupOptions: {
      input: {
        portal: here('./web/portal/index.html'),
        staff: here('./web/staff/index.html'),
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
});
