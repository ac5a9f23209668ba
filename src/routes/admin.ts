// GET /admin: the admin sign-in page. The seed's health checks call it and expect 200.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app.js';

const SIGN_IN_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Barona admin</title></head>
<body>
<main>
<h1>Barona admin</h1>
<form method="post" action="/admin/login">
<p><label for="username">Username</label><br><input id="username" name="username" autocomplete="username" required></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>
</main>
</body>
</html>
`;

export const adminRoutes: FastifyPluginAsync<AppContext> = async (app) => {
  app.get('/admin', async (_request, reply) => reply.type('text/html; charset=utf-8').send(SIGN_IN_PAGE));
};
