// Where the browser's files live (public/: CSS, ES modules, the kiosk's service worker).
import { fileURLToPath } from 'node:url';

export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));
