// Static browser assets (CSS, ES modules, icons) from public/, under /assets/.
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app.js';
import { declarePublic } from '../plugins/access-control.js';
import { PUBLIC_DIR } from './public-files.js';

export const uiAssetRoutes: FastifyPluginAsync<AppContext> = async (app) => {
  declarePublic(app);
  await app.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/assets/',
    index: false,
    list: false,
    dotfiles: 'deny',
    // Short, so a new release is picked up soon; ETags make revalidation cheap.
    maxAge: '10m',
  });
};
